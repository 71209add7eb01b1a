import { judgeRewardForm, rewardFormValues, type RewardDraft, type RewardFormContext } from '../../plugin/domain/reward-form';

const ctx = (over: Partial<RewardFormContext> = {}): RewardFormContext => ({
  languages: ['en', 'ru'],
  defaultLanguage: 'en',
  currencies: ['EUR', 'USD'],
  tierRanks: [1, 2, 3],
  timeZone: 'Europe/Istanbul',
  ...over,
});

const stored: RewardDraft = {
  kind: 'perk',
  names: { en: 'Free SSL', ru: 'Бесплатный SSL' },
  descriptions: {},
  costPoints: 800,
  stepPoints: null,
  minPoints: null,
  values: { USD: 900 },
  minTierRank: null,
  stock: 5,
  startsAt: new Date('2026-12-01T09:00:30.250Z'),
  endsAt: null,
  limitPerMonth: null,
  limitTotal: 1,
  active: true,
  promo: { type: 'amount', validDays: 30 },
};

const newCredit = { kind: 'credit', pricing: 'fixed', name_en: '2.00 credit', cost_points: '200', value_USD: '2.00', active: 'true' };

const paths = (r: ReturnType<typeof judgeRewardForm>) => (r.ok ? [] : r.problems.map((p) => p.path).sort());

describe('the reward form', () => {
  it('reads a whole new reward, every field in its unit', () => {
    const judged = judgeRewardForm(
      {
        kind: 'perk',
        pricing: 'fixed',
        name_en: ' A month of VPS ',
        name_ru: 'Месяц VPS',
        description_en: 'One month of the S plan.',
        cost_points: '2500',
        value_USD: '12.50',
        value_EUR: '11',
        min_tier_rank: '2',
        stock: '0',
        limit_per_month: '1',
        limit_total: '3',
        starts_at: '2027-01-01T00:00',
        ends_at: '2027-02-01 00:00:00',
        active: 'false',
        promo_type: 'percent',
        promo_percent: '100',
        promo_valid_days: '',
      },
      ctx(),
    );
    expect(judged).toEqual({
      ok: true,
      value: {
        kind: 'perk',
        names: { en: 'A month of VPS', ru: 'Месяц VPS' },
        descriptions: { en: 'One month of the S plan.' },
        costPoints: 2500,
        stepPoints: null,
        minPoints: null,
        values: { EUR: 1100, USD: 1250 },
        minTierRank: 2,
        stock: 0,
        // Midnight on the program's clock (UTC+3), not UTC's.
        startsAt: new Date('2026-12-31T21:00:00Z'),
        endsAt: new Date('2027-01-31T21:00:00Z'),
        limitPerMonth: 1,
        limitTotal: 3,
        active: false,
        promo: { type: 'percent', percent: 100, validDays: null },
      },
    });
  });

  it('reads "any amount" of credit: a step, and a minimum that defaults to one step', () => {
    const judged = judgeRewardForm({ ...newCredit, pricing: 'flexible', cost_points: '', step_points: '100', value_USD: '1.00' }, ctx());
    expect(judged.ok && judged.value).toMatchObject({ costPoints: null, stepPoints: 100, minPoints: 100, values: { USD: 100 } });
    expect(paths(judgeRewardForm({ ...newCredit, pricing: 'flexible', step_points: '100', min_points: '250' }, ctx()))).toEqual(['min_points']);
    // "Any amount" is credit's: a perk or a code has one price.
    expect(paths(judgeRewardForm({ ...newCredit, kind: 'perk', pricing: 'flexible', step_points: '100' }, ctx()))).toEqual(['pricing']);
  });

  it('names every bad field and returns nothing of the reward', () => {
    const judged = judgeRewardForm(
      {
        kind: 'voucher',
        pricing: 'fixed',
        name_en: '',
        description_ru: 'x'.repeat(1001),
        cost_points: '0',
        value_USD: '-1',
        value_EUR: '0.001',
        min_tier_rank: '9',
        stock: 'lots',
        limit_per_month: '0',
        limit_total: '1.5',
        starts_at: '2027-02-30T10:00',
        ends_at: 'tomorrow',
        active: 'yes',
        promo_type: '',
      },
      ctx(),
    );
    expect(judged.ok).toBe(false);
    expect(paths(judged)).toEqual(
      ['kind', 'name_en', 'description_ru', 'cost_points', 'value_USD', 'value_EUR', 'min_tier_rank', 'stock', 'limit_per_month', 'limit_total', 'starts_at', 'ends_at', 'active'].sort(),
    );
  });

  it('asks for a value in some currency, except of a percentage code', () => {
    expect(paths(judgeRewardForm({ ...newCredit, value_USD: '' }, ctx()))).toEqual(['values']);
    expect(paths(judgeRewardForm({ ...newCredit, value_USD: '0' }, ctx()))).toEqual(['value_USD']);
    const percent = judgeRewardForm({ ...newCredit, kind: 'promo_code', value_USD: '', promo_type: 'percent', promo_percent: '15', promo_valid_days: '90' }, ctx());
    expect(percent.ok && percent.value.promo).toEqual({ type: 'percent', percent: 15, validDays: 90 });
  });

  it('keeps codes to the kinds that have them', () => {
    expect(paths(judgeRewardForm({ ...newCredit, kind: 'promo_code' }, ctx()))).toEqual(['promo_type']);
    expect(paths(judgeRewardForm({ ...newCredit, promo_type: 'amount' }, ctx()))).toEqual(['promo_type']);
    expect(paths(judgeRewardForm({ ...newCredit, kind: 'perk', promo_type: 'percent', promo_percent: '101', promo_valid_days: '0' }, ctx()))).toEqual(['promo_percent', 'promo_valid_days']);
    const perk = judgeRewardForm({ ...newCredit, kind: 'perk', promo_type: '' }, ctx());
    expect(perk.ok && perk.value.promo).toBeNull();
  });

  it('wants the name in the default language, and ends after it starts', () => {
    expect(paths(judgeRewardForm({ ...newCredit, name_en: '', name_ru: 'Кредит' }, ctx()))).toEqual(['name_en']);
    expect(paths(judgeRewardForm({ ...newCredit, name_en: '', name_ru: 'Кредит' }, ctx({ defaultLanguage: 'ru' })))).toEqual([]);
    expect(paths(judgeRewardForm({ ...newCredit, starts_at: '2027-01-02T00:00', ends_at: '2027-01-02T00:00' }, ctx()))).toEqual(['ends_at']);
  });

  it('ignores a name in a language the form lacks', () => {
    const judged = judgeRewardForm({ ...newCredit, name_xx: 'injected', value_ZZZ: '1.00' }, ctx());
    expect(judged.ok && judged.value).toMatchObject({ names: { en: '2.00 credit' }, values: { USD: 200 } });
  });

  it('reads a stored reward back as itself, to the millisecond, and keeps what a post leaves out', () => {
    const form = rewardFormValues(stored, ctx());
    expect(form.starts_at).toBe('2026-12-01T12:00:30');
    expect(judgeRewardForm(form, ctx({ reward: stored }))).toEqual({ ok: true, value: stored });
    // A post of a few fields changes only those.
    const partial = judgeRewardForm({ active: 'false', cost_points: '900' }, ctx({ reward: stored }));
    expect(partial).toEqual({ ok: true, value: { ...stored, active: false, costPoints: 900 } });
    // Blank takes a value away: the reward is no longer offered in that currency.
    const cleared = judgeRewardForm({ value_USD: '', value_EUR: '8.00', stock: '', limit_total: '' }, ctx({ reward: stored }));
    expect(cleared.ok && cleared.value).toMatchObject({ values: { EUR: 800 }, stock: null, limitTotal: null });
  });

  it("keeps a reward's kind and pricing, whatever is posted", () => {
    const judged = judgeRewardForm({ kind: 'credit', pricing: 'flexible', step_points: '10' }, ctx({ reward: stored }));
    expect(judged.ok && judged.value).toMatchObject({ kind: 'perk', costPoints: 800, stepPoints: null });
  });

  it('names one problem per field: a refused value or name is not also "required"', () => {
    expect(paths(judgeRewardForm({ ...newCredit, value_USD: '1e3' }, ctx()))).toEqual(['value_USD']);
    expect(paths(judgeRewardForm({ ...newCredit, name_en: 'x'.repeat(121) }, ctx()))).toEqual(['name_en']);
  });

  it('counts a name in characters as a reader does, and wants one that shows', () => {
    expect(paths(judgeRewardForm({ ...newCredit, name_en: '🎁'.repeat(120) }, ctx()))).toEqual([]);
    expect(paths(judgeRewardForm({ ...newCredit, name_en: '\u200b \u200b' }, ctx()))).toEqual(['name_en']);
    expect(paths(judgeRewardForm({ ...newCredit, name_en: 'a\u0000b' }, ctx()))).toEqual(['name_en']);
    // A description keeps its line breaks.
    const judged = judgeRewardForm({ ...newCredit, description_en: 'One.\nTwo.' }, ctx());
    expect(judged.ok && judged.value.descriptions).toEqual({ en: 'One.\nTwo.' });
  });

  it('refuses a field posted twice', () => {
    expect(paths(judgeRewardForm({ ...newCredit, cost_points: ['200', '300'] }, ctx()))).toEqual(['cost_points']);
    // A name no field has (an object's own property names included) is no field.
    expect(paths(judgeRewardForm({ ...newCredit, constructor: ['1', '2'] }, ctx()))).toEqual([]);
  });
});
