import { decideRedemption, decideRetry, deliveryOf, monthBounds, termsOf, type RedemptionRequest, type Reward } from '../../plugin/domain/rewards';
import { rewardOf } from '../support/rewards';

const AT = new Date('2026-11-23T12:00:00Z');

const fixed: Reward = rewardOf({ names: { en: '5.00 credit' }, values: { USD: 500, JPY: 500 } });
const flexible: Reward = { ...fixed, id: 2, costPoints: null, stepPoints: 100, minPoints: 300, values: { USD: 100 } };

function request(over: Omit<Partial<RedemptionRequest>, 'member'> & { member?: Partial<RedemptionRequest['member']> } = {}): RedemptionRequest {
  return {
    reward: fixed,
    redeemedThisMonth: 0,
    redeemedInTotal: 0,
    at: AT,
    ...over,
    member: { pointsAvailable: 1000, currency: 'USD', tierRank: 1, status: 'active', ...over.member },
  };
}

describe('decideRedemption', () => {
  it.each([
    ['a fixed reward within the balance', request(), { ok: true, points: 500, value: { currency: 'USD', minor: 500 }, delivery: 'credit' }],
    ['exactly the balance', request({ member: { pointsAvailable: 500 } }), { ok: true, points: 500, value: { currency: 'USD', minor: 500 }, delivery: 'credit' }],
    ['one point short', request({ member: { pointsAvailable: 499 } }), { ok: false, refusal: 'not_enough_points', needed: 1 }],
    ['a flexible amount in steps', request({ reward: flexible, points: 700 }), { ok: true, points: 700, value: { currency: 'USD', minor: 700 }, delivery: 'credit' }],
    ['a flexible amount off the step', request({ reward: flexible, points: 750 }), { ok: false, refusal: 'invalid_points' }],
    ['a flexible amount below the minimum', request({ reward: flexible, points: 200 }), { ok: false, refusal: 'invalid_points' }],
    ['a flexible reward without an amount', request({ reward: flexible }), { ok: false, refusal: 'invalid_points' }],
    ['a currency the reward has no value in', request({ member: { currency: 'EUR' } }), { ok: false, refusal: 'no_value_in_currency' }],
    ['a member with no currency yet', request({ member: { currency: null } }), { ok: false, refusal: 'no_value_in_currency' }],
    ['a reward switched off', request({ reward: { ...fixed, active: false } }), { ok: false, refusal: 'reward_unavailable' }],
    ['before its window', request({ reward: { ...fixed, startsAt: new Date(AT.getTime() + 1) } }), { ok: false, refusal: 'reward_unavailable' }],
    ['at the end of its window (exclusive)', request({ reward: { ...fixed, endsAt: AT } }), { ok: false, refusal: 'reward_unavailable' }],
    ['out of stock', request({ reward: { ...fixed, stock: 0 } }), { ok: false, refusal: 'out_of_stock' }],
    ['a tier too low', request({ reward: { ...fixed, minTierRank: 3 }, member: { tierRank: 2 } }), { ok: false, refusal: 'tier_too_low' }],
    ['the monthly limit reached', request({ reward: { ...fixed, limitPerMonth: 2 }, redeemedThisMonth: 2 }), { ok: false, refusal: 'monthly_limit_reached' }],
    ['the total limit reached', request({ reward: { ...fixed, limitTotal: 1 }, redeemedInTotal: 1 }), { ok: false, refusal: 'total_limit_reached' }],
    ['a member in debt, even with a big enough reward', request({ member: { pointsAvailable: -1 } }), { ok: false, refusal: 'in_debt' }],
    ['a closed client account', request({ member: { status: 'closed' } }), { ok: false, refusal: 'member_blocked' }],
  ] as const)('%s', (_name, input, expected) => {
    expect(decideRedemption(input)).toEqual(expected);
  });

  it('a percentage code needs no value in the member’s currency, an amount code does', () => {
    const percent: Reward = { ...fixed, kind: 'promo_code', values: {}, promo: { type: 'percent', percent: 10, validDays: 30 } };
    expect(decideRedemption(request({ reward: percent }))).toEqual({ ok: true, points: 500, value: { currency: 'USD', minor: 0 }, delivery: 'promo' });
    const amount: Reward = { ...percent, promo: { type: 'amount', validDays: null } };
    expect(decideRedemption(request({ reward: amount }))).toEqual({ ok: false, refusal: 'no_value_in_currency' });
    expect(deliveryOf(amount)).toBe('promo');
    expect(deliveryOf({ kind: 'perk', promo: null })).toBe('credit');
  });

  describe('on a panel that cannot create promo codes (WHMCS)', () => {
    const refuse = { promoCodes: false, promoCodeFallback: 'refuse' } as const;
    const credit = { promoCodes: false, promoCodeFallback: 'credit' } as const;
    const amountCode: Reward = { ...fixed, kind: 'promo_code', values: { USD: 700 }, promo: { type: 'amount', validDays: null } };
    const percentCode: Reward = { ...amountCode, values: {}, promo: { type: 'percent', percent: 10, validDays: 30 } };
    const codePerk: Reward = { ...amountCode, kind: 'perk' };

    it('refuses a code reward up front when the program refuses, whatever the balance', () => {
      for (const reward of [amountCode, percentCode, codePerk]) {
        expect(decideRedemption(request({ reward, panel: refuse }))).toEqual({ ok: false, refusal: 'promo_code_unsupported' });
        expect(decideRedemption(request({ reward, panel: refuse, member: { pointsAvailable: 0 } }))).toEqual({ ok: false, refusal: 'promo_code_unsupported' });
      }
      expect(deliveryOf(amountCode, refuse)).toBeNull();
    });

    it('gives a code reward as credit of its value in the member’s currency when the program says credit', () => {
      expect(decideRedemption(request({ reward: amountCode, panel: credit }))).toEqual({ ok: true, points: 500, value: { currency: 'USD', minor: 700 }, delivery: 'credit' });
      expect(decideRedemption(request({ reward: codePerk, panel: credit }))).toMatchObject({ ok: true, delivery: 'credit' });
      // A percentage code has a credit value only where the provider gave it one.
      expect(decideRedemption(request({ reward: { ...percentCode, values: { USD: 300 } }, panel: credit }))).toMatchObject({ ok: true, value: { currency: 'USD', minor: 300 }, delivery: 'credit' });
      expect(decideRedemption(request({ reward: percentCode, panel: credit }))).toEqual({ ok: false, refusal: 'promo_code_unsupported' });
      expect(decideRedemption(request({ reward: amountCode, panel: credit, member: { currency: 'EUR' } }))).toEqual({ ok: false, refusal: 'no_value_in_currency' });
    });

    it('leaves credit rewards alone, and a panel with codes delivers codes whatever the setting', () => {
      expect(decideRedemption(request({ panel: refuse }))).toMatchObject({ ok: true, delivery: 'credit' });
      expect(decideRedemption(request({ reward: amountCode, panel: { promoCodes: true, promoCodeFallback: 'credit' } }))).toMatchObject({ ok: true, delivery: 'promo' });
    });
  });

  it('says "not enough points" only when nothing else stands in the way', () => {
    expect(decideRedemption(request({ reward: { ...fixed, stock: 0 }, member: { pointsAvailable: 0 } }))).toMatchObject({ refusal: 'out_of_stock' });
  });

  it("counts a calendar month in the program's time zone", () => {
    expect(monthBounds(new Date('2026-12-31T23:59:59.999Z'), 'UTC')).toEqual({ from: new Date('2026-12-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') });
    // 00:30 on 1 December in Berlin is still November in UTC.
    expect(monthBounds(new Date('2026-11-30T23:30:00Z'), 'Europe/Berlin')).toEqual({ from: new Date('2026-11-30T23:00:00Z'), to: new Date('2026-12-31T23:00:00Z') });
  });

  it('lets an admin retry a failed redemption only within the stock, the limits and the balance', () => {
    const base = { reward: { ...fixed, stock: 1, limitPerMonth: 1, limitTotal: 2 }, points: 500, member: { pointsAvailable: 500, currency: 'USD', tierRank: null, status: 'active' }, redeemedThisMonth: 0, redeemedInTotal: 1 };
    expect(decideRetry(base)).toBeNull();
    expect(decideRetry({ ...base, reward: { ...base.reward, stock: 0 } })).toMatchObject({ refusal: 'out_of_stock' });
    expect(decideRetry({ ...base, redeemedThisMonth: 1 })).toMatchObject({ refusal: 'monthly_limit_reached' });
    expect(decideRetry({ ...base, redeemedInTotal: 2 })).toMatchObject({ refusal: 'total_limit_reached' });
    expect(decideRetry({ ...base, member: { ...base.member, status: 'closed' } })).toMatchObject({ refusal: 'member_blocked' });
    expect(decideRetry({ ...base, member: { ...base.member, pointsAvailable: 499 } })).toEqual({ ok: false, refusal: 'not_enough_points', needed: 1 });
    // The terms it was chosen on are not asked again: a reward since ended or re-priced may still be delivered.
    expect(decideRetry({ ...base, reward: { ...base.reward, active: false, costPoints: 900 } })).toBeNull();
  });

  it("fingerprints the terms a confirmation page shows: price, value in the member's currency, delivery", () => {
    const terms = termsOf(fixed, 'USD', 'credit');
    expect(termsOf({ ...fixed }, 'USD', 'credit')).toBe(terms);
    expect(termsOf({ ...fixed, costPoints: (fixed.costPoints ?? 0) + 1 }, 'USD', 'credit')).not.toBe(terms);
    expect(termsOf({ ...fixed, values: { ...fixed.values, USD: (fixed.values.USD ?? 0) + 1 } }, 'USD', 'credit')).not.toBe(terms);
    expect(termsOf(fixed, 'USD', 'promo')).not.toBe(terms);
    // Another currency's value is not part of what this member was shown.
    expect(termsOf({ ...fixed, values: { ...fixed.values, XYZ: 1 } }, 'USD', 'credit')).toBe(terms);
  });
});
