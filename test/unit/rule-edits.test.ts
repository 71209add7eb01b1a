import { judgeRuleForm } from '../../plugin/domain/rule-edits';
import type { StoredRule } from '../../plugin/domain/rules';
import { judgeTierNames } from '../../plugin/domain/tier-name-edits';

const LANGUAGES = ['en', 'ru', 'tr', 'vi', 'zh'];
const paths = (r: { ok: boolean; problems?: Array<{ path: string }> }) => (r.ok ? [] : (r.problems ?? []).map((p) => p.path));

describe('a rule form judged', () => {
  const stored: StoredRule = {
    id: 7,
    type: 'renewal_bonus',
    params: '{"percent":10}',
    active: true,
    startsAt: new Date('2026-11-22T10:00:00.250Z'),
    endsAt: null,
    capPoints: 50,
    capPeriod: 'month',
  };

  it('keeps what an edit does not post, and a window shown back unchanged to the millisecond', () => {
    const judged = judgeRuleForm({ active: 'false', starts_at: '2026-11-22T10:00' }, { timeZone: 'UTC', current: stored });
    expect(judged).toEqual({ ok: true, value: { type: 'renewal_bonus', params: { percent: 10 }, active: false, startsAt: stored.startsAt, endsAt: null, cap: { points: 50, period: 'month' } } });
  });

  it('blank window and cap fields mean none', () => {
    const judged = judgeRuleForm({ active: 'true', params: '{"percent":10}', starts_at: '', ends_at: '', cap_points: '', cap_period: '' }, { timeZone: 'UTC', current: stored });
    expect(judged.ok && judged.value).toMatchObject({ startsAt: null, endsAt: null, cap: null });
  });

  it("names each bad field: the type, params by the type's schema, the window and the cap", () => {
    expect(paths(judgeRuleForm({ type: 'nope', active: 'maybe', params: '[1]' }, { timeZone: 'UTC' }))).toEqual(['type', 'active', 'params']);
    expect(paths(judgeRuleForm({ type: 'product_multiplier', active: 'true', params: '{"multiplier":"0.5","colour":"red","item_types":["renewal"]}' }, { timeZone: 'UTC' })).sort()).toEqual(['params', 'params.multiplier']);
    expect(paths(judgeRuleForm({ type: 'signup', active: 'true', params: '{"points":5}', starts_at: '2026-12-02T00:00', ends_at: '2026-12-01T00:00', cap_period: 'day' }, { timeZone: 'UTC' }))).toEqual(['ends_at', 'cap_points']);
    expect(paths(judgeRuleForm({ type: 'signup', active: 'true', params: '' }, { timeZone: 'UTC' }))).toEqual(['params']);
  });

  it('a promo needs both ends of its window, as the engine does', () => {
    expect(paths(judgeRuleForm({ type: 'promo', active: 'true', params: '{"multiplier":"2"}' }, { timeZone: 'UTC' }))).toEqual(['starts_at', 'ends_at']);
    const ok = judgeRuleForm({ type: 'promo', active: 'true', params: '{"multiplier":"2"}', starts_at: '2026-12-01T00:00', ends_at: '2026-12-02T00:00' }, { timeZone: 'Asia/Shanghai' });
    expect(ok.ok && [ok.value.startsAt, ok.value.endsAt]).toEqual([new Date('2026-11-30T16:00:00Z'), new Date('2026-12-01T16:00:00Z')]);
  });
});

describe("a tier's names per language", () => {
  const tier = { names: { en: 'Gold', ru: 'Золотой', de: 'Gold (de)' } };

  it('sets the posted names, drops a blank one, keeps those not posted and languages without a locale file', () => {
    expect(judgeTierNames({ name_en: ' Gold+ ', name_ru: '', name_zh: '黄金' }, tier, LANGUAGES)).toEqual({ ok: true, value: { en: 'Gold+', de: 'Gold (de)', zh: '黄金' } });
    expect(JSON.stringify(judgeTierNames({ name_en: 'Gold', name_ru: 'Золотой' }, tier, LANGUAGES))).toBe(JSON.stringify({ ok: true, value: tier.names }));
  });

  it('requires the English name and bounds every name', () => {
    expect(paths(judgeTierNames({ name_en: '  ', name_tr: 'x'.repeat(65) }, tier, LANGUAGES))).toEqual(['name_en', 'name_tr']);
    expect(judgeTierNames({ name_vi: 'ả'.repeat(64) }, tier, LANGUAGES).ok).toBe(true);
    // Posted twice is a broken form, not a name to drop; a name that shows nothing is none.
    expect(paths(judgeTierNames({ name_en: ['Gold', 'Au'], name_ru: 'Золотой' }, tier, LANGUAGES))).toEqual(['name_en']);
    expect(paths(judgeTierNames({ name_en: '\u200b', name_ru: 'a\u0000b' }, tier, LANGUAGES))).toEqual(['name_en', 'name_ru']);
  });
});
