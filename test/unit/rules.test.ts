import fc from 'fast-check';
import { allocateProportionally, earningBasis, earningLines } from '../../plugin/domain/earning';
import { programFromSettings, programSettingsSchema } from '../../plugin/domain/program';
import {
  applyCaps,
  BASE_RULE_ALWAYS,
  capPeriodBounds,
  describeRules,
  evaluateInvoice,
  evaluateSignup,
  isAnnualOrLonger,
  parseRule,
  type Award,
  type MemberContext,
  type Rule,
  type RuleSwitch,
  type StoredRule,
} from '../../plugin/domain/rules';
import type { Invoice, InvoiceItem } from '../../plugin/domain/billing-event';
import { MAX_POINTS } from '../../plugin/domain/points';

const usd = (minor: number) => ({ currency: 'USD', minor });
const RATES = { USD: '1', EUR: '1', RUB: '0.01', KWD: '3.25' };
const AT = new Date('2026-11-22T10:15:00.000Z');
const MEMBER: MemberContext = { isFirstPurchase: false, tierMultiplier: '1', tier: null };

let nextId = 1;
/** A rule through the same validation a stored row goes through. */
function rule(type: string, params: Record<string, unknown>, extra: Partial<Omit<StoredRule, 'params' | 'type'>> = {}): Rule {
  const r = parseRule({ id: nextId++, type, params: JSON.stringify(params), active: true, startsAt: null, endsAt: null, capPoints: null, capPeriod: null, ...extra });
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.rule;
}

const line = (type: InvoiceItem['type'], minor: number, more: Partial<InvoiceItem> = {}): InvoiceItem => ({ type, amount: usd(minor), ...more });
function invoice(items: InvoiceItem[], more: Partial<Invoice> = {}): Invoice {
  const total = items.reduce((s, i) => s + i.amount.minor, 0);
  return { id: 'inv-1', currency: 'USD', total: usd(total), paidFromCredit: usd(0), items, ...more };
}

function awards(inv: Invoice, rules: Rule[], member: Partial<MemberContext> = {}, at = AT, capUsage?: Map<number, number>): Array<[string, number]> {
  const r = evaluateInvoice({ invoice: inv, member: { ...MEMBER, ...member }, rules, rates: RATES, at, capUsage });
  if (r.kind !== 'awards') throw new Error('no rate');
  return r.awards.map((a) => [a.rule.replace(/:\d+$/, ''), a.points]);
}

const DEFAULT_INVOICE = invoice([
  line('renewal', 10000, { productGroup: 'shared-hosting', billingCycle: 'annually' }),
  line('domain', 2000),
]);

describe('allocateProportionally: the credit-paid share, exactly', () => {
  it.each<[number[], number, number[]]>([
    [[10000, 5000], 3000, [2000, 1000]],
    [[1, 1, 1], 2, [1, 1, 0]],
    [[1, 2], 1, [0, 1]],
    [[1, 1], 1, [1, 0]],
    [[3333, 3333, 3334], 100, [33, 33, 34]],
    [[0, 500], 500, [0, 500]],
    [[0, 0], 0, [0, 0]],
    [[700, 300], 0, [0, 0]],
  ])('%j sharing %i → %j', (weights, total, shares) => {
    expect(allocateProportionally(weights, total)).toEqual(shares);
  });

  it('always sums to the total and never exceeds a weight (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e11 }), { minLength: 1, maxLength: 20 }), fc.double({ min: 0, max: 1, noNaN: true }), (weights, f) => {
        const sum = weights.reduce((s, w) => s + w, 0);
        const total = Math.floor(sum * f);
        const shares = allocateProportionally(weights, total);
        expect(shares.reduce((s, x) => s + x, 0)).toBe(sum === 0 ? 0 : total);
        shares.forEach((s, i) => expect(s).toBeLessThanOrEqual(weights[i] as number));
      }),
    );
  });

  it('lines net of credit add up to the earning basis (property)', () => {
    const types = ['new', 'renewal', 'domain', 'add_funds', 'mass_pay', 'upgrade'] as const;
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom(...types), minor: fc.integer({ min: 0, max: 1e9 }) }), { maxLength: 10 }),
        fc.integer({ min: 0, max: 2e9 }),
        (items, credit) => {
          const inv = invoice(items.map((i) => line(i.type, i.minor)));
          const paid = { ...inv, paidFromCredit: usd(Math.min(credit, inv.total.minor)) };
          const nets = earningLines(paid).reduce((s, l) => s + l.net, 0);
          expect(nets).toBe(earningBasis(paid).minor);
        },
      ),
    );
  });
});

describe('evaluateInvoice: base rate, line by line', () => {
  it.each<[string, Invoice, Array<[string, number]>]>([
    ['the default invoice, no rules: base only', DEFAULT_INVOICE, [['base_rate', 120]]],
    ['fractions carry across lines (10.99 + 5.50 = 16, not 10 + 5)', invoice([line('new', 1099), line('new', 550)]), [['base_rate', 16]]],
    ['funding lines never earn', invoice([line('add_funds', 5000), line('mass_pay', 5000), line('new', 1000)]), [['base_rate', 10]]],
    ['the credit-paid share never earns', invoice([line('new', 10000), line('renewal', 5000)], { paidFromCredit: usd(3000) }), [['base_rate', 120]]],
    ['credit beyond the purchases leaves nothing', invoice([line('add_funds', 5000), line('renewal', 3000)], { paidFromCredit: usd(8000) }), []],
    ['the total, when the panel sends no lines', { ...invoice([]), items: undefined, total: usd(4599) }, [['base_rate', 45]]],
  ])('%s', (_name, inv, expected) => {
    expect(awards(inv, [])).toEqual(expected);
  });

  it('reports the basis and rate in the base award, as before rules', () => {
    const r = evaluateInvoice({ invoice: DEFAULT_INVOICE, member: MEMBER, rules: [], rates: RATES, at: AT });
    expect(r).toEqual({
      kind: 'awards',
      basis: usd(12000),
      rate: '1',
      awards: [{ rule: 'base_rate', ruleId: null, points: 120, kind: 'earn', reasonCode: 'invoice_paid', params: { invoice: 'inv-1', amount: '120.00', currency: 'USD', rate: '1' } }],
    });
  });

  it('earns nothing at all in a currency without a rate', () => {
    const inv = { ...invoice([line('new', 100)]), currency: 'VND' };
    expect(evaluateInvoice({ invoice: inv, member: { ...MEMBER, isFirstPurchase: true }, rules: [rule('first_purchase', { points: 100 })], rates: RATES, at: AT })).toEqual({
      kind: 'no_rate',
      currency: 'VND',
    });
  });

  it('is exact past 2^53 in the intermediate products', () => {
    const big = invoice([line('new', 100_000_000_000, { productGroup: 'dedicated' })]);
    const r = evaluateInvoice({
      invoice: big,
      member: { ...MEMBER, tierMultiplier: '1.0001' },
      rules: [rule('product_multiplier', { multiplier: '1.0001', product_groups: ['dedicated'] })],
      rates: { USD: '3.3333' },
      at: AT,
    });
    if (r.kind !== 'awards') throw new Error();
    const total = r.awards.reduce((s, a) => s + a.points, 0);
    // 1e11 minor × 3.3333 / 100 × 1.0001 × 1.0001 = 3 333 966 679.9333 → floor
    expect(total).toBe(Number((100_000_000_000n * 33333n * 10001n * 10001n) / (100n * 10n ** 12n)));
    expect(r.awards.map((a) => a.rule)).toEqual(['base_rate', expect.stringMatching(/^product_multiplier:\d+$/), 'tier_multiplier']);
  });
});

describe('evaluateInvoice: product multipliers and exclusions', () => {
  const dedicated = line('new', 10000, { productGroup: 'dedicated', productId: '9' });
  const shared = line('renewal', 5000, { productGroup: 'shared-hosting', productId: '3' });
  const transfer = line('domain', 1500, { productGroup: 'domain-transfers' });

  it.each<[string, InvoiceItem[], () => Rule[], Array<[string, number]>, Partial<Invoice>?]>([
    ['×2 on a product group', [dedicated, shared], () => [rule('product_multiplier', { multiplier: '2', product_groups: ['dedicated'] })], [['base_rate', 150], ['product_multiplier', 100]]],
    ['×2 by product id', [dedicated, shared], () => [rule('product_multiplier', { multiplier: '2', product_ids: ['3'] })], [['base_rate', 150], ['product_multiplier', 50]]],
    ['×1.5 by item type, fractions kept on the running total', [line('new', 1001)], () => [rule('product_multiplier', { multiplier: '1.5', item_types: ['new'] })], [['base_rate', 10], ['product_multiplier', 5]]],
    [
      'the highest of two matching multipliers wins, they do not compound',
      [dedicated],
      () => [rule('product_multiplier', { multiplier: '2', product_groups: ['dedicated'] }), rule('product_multiplier', { multiplier: '3', product_ids: ['9'] })],
      [['base_rate', 100], ['product_multiplier', 200]],
    ],
    [
      'selectors are AND: group matches but type does not',
      [dedicated],
      () => [rule('product_multiplier', { multiplier: '2', product_groups: ['dedicated'], item_types: ['renewal'] })],
      [['base_rate', 100]],
    ],
    ['an exclusion earns nothing', [dedicated, transfer], () => [rule('exclusion', { product_groups: ['domain-transfers'] })], [['base_rate', 100]]],
    [
      'an exclusion beats a multiplier on the same line',
      [dedicated],
      () => [rule('product_multiplier', { multiplier: '2', product_groups: ['dedicated'] }), rule('exclusion', { product_ids: ['9'] })],
      [],
    ],
    [
      'an excluded line still takes its share of the credit',
      [dedicated, transfer],
      () => [rule('exclusion', { item_types: ['domain'] })],
      [['base_rate', 80]],
      { paidFromCredit: usd(2300) },
    ],
    [
      'an inactive rule does nothing',
      [dedicated],
      () => [rule('product_multiplier', { multiplier: '2', product_groups: ['dedicated'] }, { active: false })],
      [['base_rate', 100]],
    ],
  ])('%s', (_name, items, rules, expected, more = {}) => {
    expect(awards(invoice(items, more), rules())).toEqual(expected);
  });
});

/** A window [START, END) and the instants on either side of each edge, with whether they fall in it. */
const START = new Date('2026-11-27T00:00:00.000Z');
const END = new Date('2026-11-30T00:00:00.000Z');
const shift = (d: Date, delta: number) => new Date(d.getTime() + delta);
const WINDOW_EDGES: Array<[string, Date, boolean]> = [
  ['1 ms before the start', shift(START, -1), false],
  ['at the start instant', START, true],
  ['inside', shift(START, 86_400_000), true],
  ['1 ms before the end', shift(END, -1), true],
  ['at the end instant', END, false],
  ['after the end', shift(END, 1), false],
];

describe('evaluateInvoice: rule and promo windows (start inclusive, end exclusive)', () => {
  const promo = () => rule('promo', { multiplier: '2' }, { startsAt: START, endsAt: END });
  const windowed = () => rule('renewal_bonus', { percent: 10 }, { startsAt: START, endsAt: END });

  it.each<[string, Date, boolean]>(WINDOW_EDGES)('%s: applies = %s', (_name, at, applies) => {
    const inv = invoice([line('renewal', 10000)]);
    expect(awards(inv, [promo()], {}, at)).toEqual(applies ? [['base_rate', 100], ['promo', 100]] : [['base_rate', 100]]);
    expect(awards(inv, [windowed()], {}, at)).toEqual(applies ? [['base_rate', 100], ['renewal_bonus', 10]] : [['base_rate', 100]]);
  });

  it.each<[string, () => Rule[], Partial<MemberContext>, Array<[string, number]>]>([
    ['limited to a group: only that line', () => [rule('promo', { multiplier: '3', product_groups: ['vps'] }, { startsAt: START, endsAt: END })], {}, [['base_rate', 150], ['promo', 100]]],
    ['limited to tiers: no tier, no promo', () => [rule('promo', { multiplier: '2', tiers: ['Gold'] }, { startsAt: START, endsAt: END })], {}, [['base_rate', 150]]],
    ['limited to tiers: member of one', () => [rule('promo', { multiplier: '2', tiers: ['Gold'] }, { startsAt: START, endsAt: END })], { tier: 'Gold' }, [['base_rate', 150], ['promo', 150]]],
    [
      'overlapping promos: the highest wins',
      () => [rule('promo', { multiplier: '2' }, { startsAt: START, endsAt: END }), rule('promo', { multiplier: '1.5' }, { startsAt: START, endsAt: END })],
      {},
      [['base_rate', 150], ['promo', 150]],
    ],
  ])('%s', (_name, rules, member, expected) => {
    const inv = invoice([line('new', 5000, { productGroup: 'vps' }), line('new', 10000, { productGroup: 'shared' })]);
    expect(awards(inv, rules(), member, shift(START, 1000))).toEqual(expected);
  });
});

describe('evaluateInvoice: combined multipliers, in order product × promo × tier', () => {
  it.each<[string, string, Array<[string, number]>]>([
    ['tier ×1 adds nothing', '1', [['base_rate', 100], ['product_multiplier', 100], ['promo', 400]]],
    ['tier ×1.5 multiplies the whole product', '1.5', [['base_rate', 100], ['product_multiplier', 100], ['promo', 400], ['tier_multiplier', 300]]],
  ])('%s', (_name, tier, expected) => {
    const rules = [
      rule('product_multiplier', { multiplier: '2', product_groups: ['dedicated'] }),
      rule('promo', { multiplier: '3' }, { startsAt: new Date(0), endsAt: new Date('2030-01-01T00:00:00Z') }),
    ];
    expect(awards(invoice([line('new', 10000, { productGroup: 'dedicated' })]), rules, { tierMultiplier: tier, tier: 'Gold' })).toEqual(expected);
  });

  it('the awards always add up to floor(net × rate × product × promo × tier) (property)', () => {
    const dec = fc.integer({ min: 10001, max: 50000 }).map((n) => `${Math.floor(n / 10000)}.${String(n % 10000).padStart(4, '0')}`);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e10 }), { minLength: 1, maxLength: 6 }), dec, dec, dec, (amounts, pm, qm, tm) => {
        const rules = [
          rule('product_multiplier', { multiplier: pm, item_types: ['new'] }),
          rule('promo', { multiplier: qm }, { startsAt: new Date(0), endsAt: new Date('2030-01-01T00:00:00Z') }),
        ];
        const r = evaluateInvoice({ invoice: invoice(amounts.map((a) => line('new', a))), member: { ...MEMBER, tierMultiplier: tm }, rules, rates: { USD: '1.2345' }, at: AT });
        if (r.kind !== 'awards') throw new Error();
        const s = (d: string) => BigInt(d.replace('.', ''));
        const exact = (BigInt(amounts.reduce((a, b) => a + b, 0)) * 12345n * s(pm) * s(qm) * s(tm)) / (100n * 10n ** 16n);
        expect(r.awards.reduce((sum, a) => sum + a.points, 0)).toBe(Number(exact));
        r.awards.forEach((a) => expect(a.points).toBeGreaterThan(0));
      }),
    );
  });
});

describe('evaluateInvoice: bonuses', () => {
  it.each<[string, InvoiceItem[], () => Rule[], Partial<MemberContext>, Array<[string, number]>]>([
    ['renewal bonus: % of renewal lines only', [line('renewal', 10000), line('new', 5000)], () => [rule('renewal_bonus', { percent: 10 })], {}, [['base_rate', 150], ['renewal_bonus', 10]]],
    ['renewal bonus floors once over its lines', [line('renewal', 1550), line('renewal', 1550)], () => [rule('renewal_bonus', { percent: 10 })], {}, [['base_rate', 31], ['renewal_bonus', 3]]],
    [
      'renewal bonus is on base points: a multiplier does not raise it',
      [line('renewal', 10000, { productGroup: 'dedicated' })],
      () => [rule('renewal_bonus', { percent: 10 }), rule('product_multiplier', { multiplier: '2', product_groups: ['dedicated'] })],
      {},
      [['base_rate', 100], ['product_multiplier', 100], ['renewal_bonus', 10]],
    ],
    ['upgrade: earns on the line amount (the difference), plus its bonus', [line('upgrade', 500)], () => [rule('upgrade_bonus', { percent: 50 })], {}, [['base_rate', 5], ['upgrade_bonus', 2]]],
    ['upgrade bonus ignores other lines', [line('new', 500)], () => [rule('upgrade_bonus', { percent: 50 })], {}, [['base_rate', 5]]],
    [
      'annual prepay: yearly lines of the listed types',
      [line('renewal', 12000, { billingCycle: 'annually' }), line('new', 1000, { billingCycle: 'monthly' }), line('domain', 2000, { billingCycle: '1y' })],
      () => [rule('annual_prepay_bonus', { percent: 20 })],
      {},
      [['base_rate', 150], ['annual_prepay_bonus', 24]],
    ],
    [
      'annual prepay with domains listed',
      [line('domain', 2000, { billingCycle: '2y' })],
      () => [rule('annual_prepay_bonus', { percent: 20, item_types: ['domain'] })],
      {},
      [['base_rate', 20], ['annual_prepay_bonus', 4]],
    ],
    ['first purchase: once, for a first purchase', [line('new', 1000)], () => [rule('first_purchase', { points: 100 })], { isFirstPurchase: true }, [['base_rate', 10], ['first_purchase', 100]]],
    ['first purchase: not for a later one', [line('new', 1000)], () => [rule('first_purchase', { points: 100 })], { isFirstPurchase: false }, [['base_rate', 10]]],
    ['first purchase: not for an invoice that earns on nothing', [line('add_funds', 1000)], () => [rule('first_purchase', { points: 100 })], { isFirstPurchase: true }, []],
    [
      'first purchase: only the first rule in force gives it',
      [line('new', 1000)],
      () => [rule('first_purchase', { points: 100 }), rule('first_purchase', { points: 500 })],
      { isFirstPurchase: true },
      [['base_rate', 10], ['first_purchase', 100]],
    ],
    [
      'all together on the default invoice',
      DEFAULT_INVOICE.items as InvoiceItem[],
      () => [rule('renewal_bonus', { percent: 10 }), rule('annual_prepay_bonus', { percent: 20 }), rule('first_purchase', { points: 100 })],
      { isFirstPurchase: true },
      [['base_rate', 120], ['renewal_bonus', 10], ['annual_prepay_bonus', 20], ['first_purchase', 100]],
    ],
  ])('%s', (_name, items, rules, member, expected) => {
    expect(awards(invoice(items), rules(), member)).toEqual(expected);
  });

  it.each<[string | undefined, boolean]>([
    ['annually', true],
    ['biennially', true],
    ['triennially', true],
    ['12m', true],
    ['24m', true],
    ['1y', true],
    ['3y', true],
    ['11m', false],
    ['monthly', false],
    ['quarterly', false],
    ['semiannually', false],
    ['one_time', false],
    ['365d', false],
    ['52w', false],
    [undefined, false],
  ])('billing cycle %p counts as a year or more: %s', (cycle, yes) => {
    expect(isAnnualOrLonger(cycle)).toBe(yes);
  });
});

describe('evaluateInvoice: more than MAX_POINTS in all is refused, never rounded, cut or overflowed', () => {
  const big = (minor: number) => invoice([line('renewal', minor, { productGroup: 'big' })]);
  const run = (inv: Invoice, rules: Rule[], member: Partial<MemberContext> = {}, rates: Record<string, string> = { USD: '10000' }, capUsage?: Map<number, number>) =>
    evaluateInvoice({ invoice: inv, member: { ...MEMBER, ...member }, rules, rates, at: AT, capUsage });

  it('the base alone, at the bound and one point past it', () => {
    // 100,000,000.00 at 10,000 points per 1.00: exactly 10^12.
    expect(run(big(10_000_000_000), [])).toMatchObject({ kind: 'awards', awards: [{ rule: 'base_rate', points: MAX_POINTS }] });
    expect(run(big(10_000_000_001), [], {}, { USD: '10000' })).toEqual({ kind: 'too_many_points', points: 1_000_000_000_100n });
  });

  it.each<[string, () => Rule[], Partial<MemberContext>, bigint]>([
    ['a product multiplier', () => [rule('product_multiplier', { multiplier: '100', product_groups: ['big'] })], {}, 100_000_000_000_000n],
    ['a promo on top', () => [rule('product_multiplier', { multiplier: '100', product_groups: ['big'] }), rule('promo', { multiplier: '100' }, { startsAt: new Date(0), endsAt: new Date('2100-01-01T00:00:00Z') })], {}, 10_000_000_000_000_000n],
    ['the tier multiplier', () => [], { tierMultiplier: '2' }, 2_000_000_000_000n],
    ['a percentage bonus', () => [rule('renewal_bonus', { percent: 1000 })], {}, 11_000_000_000_000n],
    ['the first-purchase bonus past a base at the bound', () => [rule('first_purchase', { points: 1 })], { isFirstPurchase: true }, 1_000_000_000_001n],
  ])('%s', (_name, rules, member, points) => {
    expect(run(big(10_000_000_000), rules(), member)).toEqual({ kind: 'too_many_points', points });
  });

  it('counts before caps: a cap is no licence for a total the program could not have meant', () => {
    const capped = rule('renewal_bonus', { percent: 1000 }, { capPoints: 5, capPeriod: 'day' });
    expect(run(big(10_000_000_000), [capped], {}, { USD: '10000' }, new Map([[capped.id, 0]]))).toMatchObject({ kind: 'too_many_points' });
  });
});

describe('caps: per rule, per member, per period, applied last', () => {
  const capped = () => rule('renewal_bonus', { percent: 100 }, { capPoints: 50, capPeriod: 'day' });

  it.each<[string, number | undefined, Array<[string, number]>]>([
    ['nothing used yet: cut to the cap', undefined, [['base_rate', 100], ['renewal_bonus', 50]]],
    ['30 used: 20 left', 30, [['base_rate', 100], ['renewal_bonus', 20]]],
    ['49 used: 1 left', 49, [['base_rate', 100], ['renewal_bonus', 1]]],
    ['all used: no award', 50, [['base_rate', 100]]],
    ['over (the cap was lowered): no award', 80, [['base_rate', 100]]],
  ])('%s', (_name, used, expected) => {
    const r = capped();
    expect(awards(invoice([line('renewal', 10000)]), [r], {}, AT, used === undefined ? undefined : new Map([[r.id, used]]))).toEqual(expected);
  });

  it('an award under its cap is untouched; a cut one says so', () => {
    const r = rule('renewal_bonus', { percent: 10 }, { capPoints: 50, capPeriod: 'month' });
    const a: Award = { rule: `renewal_bonus:${r.id}`, ruleId: r.id, points: 10, kind: 'bonus', reasonCode: 'renewal_bonus', params: {} };
    expect(applyCaps([a], [r])).toEqual([a]);
    expect(applyCaps([{ ...a, points: 70 }], [r])).toEqual([{ ...a, points: 50, params: { capped: 1 } }]);
  });

  it.each<[string, 'day' | 'month' | 'year', string, string]>([
    ['2026-11-22T10:15:00.000Z', 'day', '2026-11-22T00:00:00.000Z', '2026-11-23T00:00:00.000Z'],
    ['2026-11-22T00:00:00.000Z', 'day', '2026-11-22T00:00:00.000Z', '2026-11-23T00:00:00.000Z'],
    ['2026-11-22T23:59:59.999Z', 'day', '2026-11-22T00:00:00.000Z', '2026-11-23T00:00:00.000Z'],
    ['2026-12-31T23:59:59.999Z', 'day', '2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2026-11-30T12:00:00.000Z', 'month', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T00:00:00.000Z', 'month', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2028-02-29T12:00:00.000Z', 'month', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    ['2026-06-15T12:00:00.000Z', 'year', '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  ])('%s in a %s cap counts from %s to %s (UTC calendar)', (now, period, from, to) => {
    const b = capPeriodBounds(period, new Date(now));
    expect([b.from.toISOString(), b.to.toISOString()]).toEqual([from, to]);
  });
});

describe('evaluateSignup', () => {
  const signup = (extra = {}) => rule('signup', { points: 50 }, extra);
  it.each<[string, () => Rule[], boolean, number[]]>([
    ['gives the bonus once', () => [signup()], false, [50]],
    ['not when already given', () => [signup()], true, []],
    ['not when off', () => [signup({ active: false })], false, []],
    ['not outside its window', () => [signup({ startsAt: new Date('2027-01-01T00:00:00Z') })], false, []],
    ['only the first signup rule', () => [signup(), rule('signup', { points: 70 })], false, [50]],
  ])('%s', (_name, rules, already, points) => {
    expect(evaluateSignup({ rules: rules(), at: AT, alreadyAwarded: already }).map((a) => a.points)).toEqual(points);
  });

  it('is capped like any rule', () => {
    const r = signup({ capPoints: 20, capPeriod: 'year' });
    expect(evaluateSignup({ rules: [r], at: AT, alreadyAwarded: false, capUsage: new Map([[r.id, 0]]) })).toEqual([
      { rule: `signup:${r.id}`, ruleId: r.id, points: 20, kind: 'bonus', reasonCode: 'signup', params: { points: 20, capped: 1 } },
    ]);
  });
});

describe('parseRule: a stored rule is checked before it is used', () => {
  const row = (type: string, params: unknown, extra: Partial<StoredRule> = {}): StoredRule => ({
    id: 7,
    type,
    params: typeof params === 'string' ? params : JSON.stringify(params),
    active: true,
    startsAt: null,
    endsAt: null,
    capPoints: null,
    capPeriod: null,
    ...extra,
  });
  const win = { startsAt: new Date('2026-11-27T00:00:00Z'), endsAt: new Date('2026-11-30T00:00:00Z') };

  it.each<[string, StoredRule, string]>([
    ['an unknown type', row('birthday', {}), 'type: must be one of'],
    ['params that are not JSON', row('signup', '{points: 5'), 'params: is not valid JSON'],
    ['a multiplier of 1', row('product_multiplier', { multiplier: '1', product_groups: ['x'] }), 'params.multiplier: must be more than 1'],
    ['a multiplier below 1', row('product_multiplier', { multiplier: '0.5', product_groups: ['x'] }), 'use an exclusion'],
    ['a multiplier over 100', row('promo', { multiplier: '101' }, win), 'at most 100'],
    ['a float multiplier', row('promo', { multiplier: 2 }, win), 'params.multiplier'],
    ['a multiplier that is not a decimal', row('product_multiplier', { multiplier: 'abc', product_groups: ['x'] }), 'params.multiplier: must be a decimal string'],
    ['an empty multiplier', row('product_multiplier', { multiplier: '', product_groups: ['x'] }), 'params.multiplier: must be a decimal string'],
    ['a multiplier with 5 places', row('promo', { multiplier: '1.23456' }, win), 'params.multiplier: must be a decimal string'],
    ['a multiplier in exponent notation', row('promo', { multiplier: '1e400' }, win), 'params.multiplier: must be a decimal string'],
    ['a multiplier without selectors', row('product_multiplier', { multiplier: '2' }), 'needs at least one of'],
    ['an exclusion without selectors', row('exclusion', {}), 'needs at least one of'],
    ['an unknown item type', row('exclusion', { item_types: ['transfer'] }), 'params.item_types.0'],
    ['an unknown param (a typo)', row('renewal_bonus', { percent: 10, precent: 5 }), 'params'],
    ['a fractional percent', row('renewal_bonus', { percent: 2.5 }), 'params.percent'],
    ['bonus points of 0', row('signup', { points: 0 }), 'params.points'],
    ['a promo without a window', row('promo', { multiplier: '2' }), 'a promo needs both'],
    ['a window that ends before it starts', row('signup', { points: 5 }, { startsAt: win.endsAt, endsAt: win.startsAt }), 'ends_at: must be after starts_at'],
    ['a cap without a period', row('signup', { points: 5 }, { capPoints: 10 }), 'set both or neither'],
    ['a cap of 0', row('signup', { points: 5 }, { capPoints: 0, capPeriod: 'day' }), 'cap_points: must be a positive integer'],
    ['a weekly cap', row('signup', { points: 5 }, { capPoints: 10, capPeriod: 'week' }), 'cap_period: must be one of day, month, year'],
  ])('refuses %s', (_name, stored, problem) => {
    const r = parseRule(stored);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join('; ')).toContain(problem);
  });

  it('accepts a full rule and fills defaults', () => {
    const r = parseRule(row('annual_prepay_bonus', { percent: 20 }, { capPoints: 500, capPeriod: 'year' }));
    expect(r).toEqual({
      ok: true,
      rule: { id: 7, type: 'annual_prepay_bonus', params: { percent: 20, item_types: ['new', 'renewal', 'addon'] }, active: true, startsAt: null, endsAt: null, cap: { points: 500, period: 'year' } },
    });
  });
});

describe('describeRules: "how you earn" from the rules in force', () => {
  const NOW = new Date('2026-11-28T12:00:00.000Z');
  const rules = () => [
    rule('product_multiplier', { multiplier: '2', product_groups: ['dedicated-servers'], label: 'dedicated servers' }),
    rule('exclusion', { product_groups: ['domain-transfers'] }),
    rule('promo', { multiplier: '2' }, { startsAt: new Date('2026-11-27T00:00:00Z'), endsAt: new Date('2026-11-30T00:00:00Z') }),
    rule('promo', { multiplier: '3', product_groups: ['vps'] }, { startsAt: new Date('2026-11-27T00:00:00Z'), endsAt: new Date('2026-11-30T00:00:00Z') }),
    rule('promo', { multiplier: '5', tiers: ['Gold'] }, { startsAt: new Date('2026-11-27T00:00:00Z'), endsAt: new Date('2026-11-30T00:00:00Z') }),
    rule('renewal_bonus', { percent: 10 }, { capPoints: 500, capPeriod: 'month' }),
    rule('upgrade_bonus', { percent: 10 }, { active: false }),
    rule('annual_prepay_bonus', { percent: 20 }, { endsAt: NOW }),
    rule('first_purchase', { points: 100 }),
    rule('signup', { points: 50 }),
  ];
  const program = () => ({ earnRates: { USD: '1', RUB: '0.01' }, rules: rules() });

  it('lists each rule in force, with its cap, and skips what is off, over, or for other tiers', () => {
    expect(describeRules(program(), 'USD', NOW)).toEqual([
      { key: 'rules.base_rate', params: { points: 1, amount: '1.00', currency: 'USD' } },
      { key: 'rules.product_multiplier', params: { multiplier: '2', products: 'dedicated servers' } },
      { key: 'rules.exclusion', params: { products: 'domain-transfers' } },
      { key: 'rules.promo', params: { multiplier: '2', until: '2026-11-30T00:00:00.000Z' } },
      { key: 'rules.promo_products', params: { multiplier: '3', until: '2026-11-30T00:00:00.000Z', products: 'vps' } },
      { key: 'rules.renewal_bonus', params: { percent: 10 }, cap: { key: 'rules.cap_month', params: { points: 500 } } },
      { key: 'rules.first_purchase', params: { points: 100 } },
      { key: 'rules.signup', params: { points: 50 } },
    ]);
  });

  it('reads a small rate as "1 point per 100.00"', () => {
    expect(describeRules(program(), 'RUB', NOW)[0]).toEqual({ key: 'rules.base_rate', params: { points: 1, amount: '100.00', currency: 'RUB' } });
  });

  it('shows a tier promo to a member of the tier', () => {
    expect(describeRules(program(), 'USD', NOW, { tier: 'Gold' }).map((l) => l.params.multiplier)).toContain('5');
  });

  it('in a currency without a rate, only says so and shows the signup bonus', () => {
    expect(describeRules(program(), 'VND', NOW)).toEqual([
      { key: 'rules.base_rate_none', params: {} },
      { key: 'rules.signup', params: { points: 50 } },
    ]);
  });

  it('without a currency, leaves the base rate to the caller', () => {
    expect(describeRules(program(), null, NOW)[0]?.key).toBe('rules.product_multiplier');
  });

  it('says nothing about rules when there are none in force', () => {
    expect(describeRules({ earnRates: { USD: '1' }, rules: [] }, 'USD', NOW)).toEqual([{ key: 'rules.base_rate', params: { points: 1, amount: '1.00', currency: 'USD' } }]);
  });
});

describe('the base rate: on/off, window and cap (setting base_rule)', () => {
  const base = (extra: Partial<RuleSwitch> = {}): RuleSwitch => ({ ...BASE_RULE_ALWAYS, ...extra });
  const run = (inv: Invoice, rules: Rule[], baseRule: RuleSwitch, opts: { at?: Date; used?: number; member?: Partial<MemberContext> } = {}) => {
    const r = evaluateInvoice({ invoice: inv, member: { ...MEMBER, ...opts.member }, rules, rates: RATES, at: opts.at ?? AT, baseRule, baseCapUsed: opts.used });
    if (r.kind !== 'awards') throw new Error('no rate');
    return r.awards;
  };
  const brief = (a: Award[]) => a.map((x): [string, number] => [x.rule.replace(/:\d+$/, ''), x.points]);
  const mixed = invoice([line('renewal', 10000, { productGroup: 'dedicated-servers', billingCycle: 'annually' }), line('domain', 2000)]);
  const everything = () => [
    rule('product_multiplier', { multiplier: '2', product_groups: ['dedicated-servers'] }),
    rule('promo', { multiplier: '1.5' }, { startsAt: new Date('2026-01-01T00:00:00Z'), endsAt: new Date('2027-01-01T00:00:00Z') }),
    rule('renewal_bonus', { percent: 10 }),
    rule('annual_prepay_bonus', { percent: 20 }),
    rule('first_purchase', { points: 100 }),
  ];

  it.each<[string, RuleSwitch, () => Rule[], Partial<MemberContext>, Array<[string, number]>]>([
    ['default (on, no window, no cap): as before', base(), () => [], {}, [['base_rate', 120]]],
    ['off: no base points', base({ active: false }), () => [], {}, []],
    [
      'on, with every multiplier and bonus',
      base(),
      everything,
      { isFirstPurchase: true, tierMultiplier: '1.25', tier: 'Gold' },
      [['base_rate', 120], ['product_multiplier', 100], ['promo', 110], ['tier_multiplier', 82], ['renewal_bonus', 10], ['annual_prepay_bonus', 20], ['first_purchase', 100]],
    ],
    [
      'off: nothing that builds on the base (multipliers, tier, % bonuses); a fixed bonus is its own rule',
      base({ active: false }),
      everything,
      { isFirstPurchase: true, tierMultiplier: '1.25', tier: 'Gold' },
      [['first_purchase', 100]],
    ],
  ])('%s', (_name, baseRule, rules, member, expected) => {
    expect(brief(run(mixed, rules(), baseRule, { member }))).toEqual(expected);
  });

  it.each<[string, Date, boolean]>(WINDOW_EDGES)('window [start, end), judged at the purchase instant: %s → earns = %s', (_name, at, earns) => {
    const windowed = base({ startsAt: START, endsAt: END });
    const renewal = () => [rule('renewal_bonus', { percent: 10 })];
    expect(brief(run(mixed, renewal(), windowed, { at }))).toEqual(earns ? [['base_rate', 120], ['renewal_bonus', 10]] : []);
    // Open-ended on either side.
    expect(brief(run(mixed, [], base({ startsAt: START }), { at }))).toEqual(at >= START ? [['base_rate', 120]] : []);
    expect(brief(run(mixed, [], base({ endsAt: END }), { at }))).toEqual(at < END ? [['base_rate', 120]] : []);
  });

  it.each<[string, number | undefined, Array<[string, number]>]>([
    ['nothing used: the invoice hits the cap midway, cut to 150', undefined, [['base_rate', 150], ['product_multiplier', 100]]],
    ['100 used: 50 left', 100, [['base_rate', 50], ['product_multiplier', 100]]],
    ['149 used: 1 left', 149, [['base_rate', 1], ['product_multiplier', 100]]],
    ['all used: no base award', 150, [['product_multiplier', 100]]],
    ['over (the cap was lowered): no base award', 400, [['product_multiplier', 100]]],
  ])('cap of 150 a day, reached mid-invoice — %s (only the base award is cut)', (_name, used, expected) => {
    const inv = invoice([line('new', 10000, { productGroup: 'dedicated-servers' }), line('new', 10000)]);
    const rules = [rule('product_multiplier', { multiplier: '2', product_groups: ['dedicated-servers'] })];
    const out = run(inv, rules, base({ cap: { points: 150, period: 'day' } }), { used });
    expect(brief(out)).toEqual(expected);
    const b = out.find((a) => a.rule === 'base_rate');
    if (b) expect(b).toMatchObject({ ruleId: null, reasonCode: 'invoice_paid', params: { invoice: 'inv-1', amount: '200.00', capped: 1 } });
  });

  it('an award under the base cap is untouched (no "capped" mark)', () => {
    const out = run(mixed, [], base({ cap: { points: 500, period: 'month' } }), { used: 10 });
    expect(out).toEqual([{ rule: 'base_rate', ruleId: null, points: 120, kind: 'earn', reasonCode: 'invoice_paid', params: { invoice: 'inv-1', amount: '120.00', currency: 'USD', rate: '1' } }]);
  });

  it.each<['day' | 'month' | 'year', Array<[string, number]>]>([
    [
      'day',
      [
        ['2026-11-22T10:00:00.000Z', 100],
        ['2026-11-22T23:59:59.999Z', 50],
        ['2026-11-22T23:59:59.999Z', 0],
        ['2026-11-23T00:00:00.000Z', 100],
        ['2026-11-23T18:00:00.000Z', 50],
      ],
    ],
    [
      'month',
      [
        ['2026-11-01T00:00:00.000Z', 100],
        ['2026-11-30T23:59:59.999Z', 50],
        ['2026-12-01T00:00:00.000Z', 100],
        ['2026-12-31T12:00:00.000Z', 50],
        ['2027-01-01T00:00:00.000Z', 100],
      ],
    ],
    [
      'year',
      [
        ['2026-01-01T00:00:00.000Z', 100],
        ['2026-12-31T23:59:59.999Z', 50],
        ['2027-01-01T00:00:00.000Z', 100],
        ['2027-06-30T00:00:00.000Z', 50],
      ],
    ],
  ])('a cap of 150 a %s rolls over at the UTC period boundary', (period, purchases) => {
    // A small ledger: usage is what base_rate credited within the cap's period at each purchase.
    const ledger: Array<{ at: Date; points: number }> = [];
    const baseRule = base({ cap: { points: 150, period } });
    for (const [when, expected] of purchases) {
      const at = new Date(when);
      const { from, to } = capPeriodBounds(period, at);
      const used = ledger.filter((e) => e.at >= from && e.at < to).reduce((s, e) => s + e.points, 0);
      const given = run(invoice([line('new', 10000)]), [], baseRule, { at, used }).reduce((s, a) => s + a.points, 0);
      expect([when, given]).toEqual([when, expected]);
      ledger.push({ at, points: given });
    }
  });

  describe('describeRules', () => {
    const NOW = new Date('2026-11-28T12:00:00.000Z');
    const rules = () => [
      rule('product_multiplier', { multiplier: '2', product_groups: ['vps'] }),
      rule('renewal_bonus', { percent: 10 }),
      rule('first_purchase', { points: 100 }),
      rule('signup', { points: 50 }),
    ];
    const USD_LINE = { key: 'rules.base_rate', params: { points: 1, amount: '1.00', currency: 'USD' } };
    const FIXED = [
      { key: 'rules.first_purchase', params: { points: 100 } },
      { key: 'rules.signup', params: { points: 50 } },
    ];
    const ALL = [
      { key: 'rules.product_multiplier', params: { multiplier: '2', products: 'vps' } },
      { key: 'rules.renewal_bonus', params: { percent: 10 } },
      ...FIXED,
    ];

    it.each<[string, RuleSwitch | undefined, string | null, unknown[]]>([
      ['no setting: as before', undefined, 'USD', [USD_LINE, ...ALL]],
      ['on', base(), 'USD', [USD_LINE, ...ALL]],
      ['off: no base line, only the fixed bonuses', base({ active: false }), 'USD', FIXED],
      ['before its window: as off', base({ startsAt: shift(NOW, 1) }), 'USD', FIXED],
      ['at the start of its window: on', base({ startsAt: NOW }), 'USD', [USD_LINE, ...ALL]],
      ['at the end of its window: as off', base({ endsAt: NOW }), 'USD', FIXED],
      ['capped: the base line carries the cap', base({ cap: { points: 1000, period: 'month' } }), 'USD', [{ ...USD_LINE, cap: { key: 'rules.cap_month', params: { points: 1000 } } }, ...ALL]],
      ['off, in a currency without a rate: no base line at all', base({ active: false }), 'VND', [{ key: 'rules.signup', params: { points: 50 } }]],
      ['off, currency unknown', base({ active: false }), null, FIXED],
    ])('%s', (_name, baseRule, currency, expected) => {
      expect(describeRules({ earnRates: { USD: '1' }, rules: rules(), ...(baseRule && { baseRule }) }, currency, NOW)).toEqual(expected);
    });
  });

  describe('the base_rule setting', () => {
    it.each<[string, unknown, string]>([
      ['a window that ends before it starts', { active: true, starts_at: '2026-11-30T00:00:00Z', ends_at: '2026-11-27T00:00:00Z' }, 'base_rule.ends_at'],
      ['an empty window', { active: true, starts_at: '2026-11-30T00:00:00Z', ends_at: '2026-11-30T00:00:00Z' }, 'base_rule.ends_at'],
      ['a date that is not an instant', { active: true, starts_at: 'tomorrow' }, 'base_rule.starts_at'],
      ['a cap of 0', { active: true, cap: { points: 0, period: 'day' } }, 'base_rule.cap.points'],
      ['a weekly cap', { active: true, cap: { points: 10, period: 'week' } }, 'base_rule.cap.period'],
      ['no on/off', {}, 'base_rule.active'],
      ['an unknown key (a typo)', { active: true, cap_points: 5 }, 'base_rule'],
    ])('refuses %s', (_name, value, path) => {
      const r = programSettingsSchema.safeParse({ base_rule: value });
      expect(r.success).toBe(false);
      if (!r.success) expect(r.error.issues.map((i) => i.path.join('.'))).toContain(path);
    });

    it('reads into the program, and defaults to always on when absent', () => {
      const value = { active: false, starts_at: '2026-11-27T00:00:00Z', ends_at: '2026-11-30T00:00:00Z', cap: { points: 500, period: 'year' } };
      expect(programFromSettings(programSettingsSchema.parse({ base_rule: value })).baseRule).toEqual({
        active: false,
        startsAt: START,
        endsAt: END,
        cap: { points: 500, period: 'year' },
      });
      expect(programFromSettings(programSettingsSchema.parse({ base_rule: { active: true } })).baseRule).toEqual(BASE_RULE_ALWAYS);
      expect(programFromSettings(programSettingsSchema.parse({})).baseRule).toEqual(BASE_RULE_ALWAYS);
    });
  });
});
