import { judgeRuleForm } from '../../plugin/domain/rule-edits';
import type { StoredRule } from '../../plugin/domain/rules';
import { judgeTierNames } from '../../plugin/domain/tier-name-edits';
import type { FieldProblem, ProblemReason } from '../../plugin/domain/validation';
import { Translations } from '../../plugin/i18n';
import { problemText } from '../../plugin/web/admin/field-errors';

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

/**
 * The rule types' own checks (a refinement beyond what a field's type says) each give their
 * reason, so the admin's form says why in the admin's language instead of "is not valid".
 */
describe("the rule types' own param checks, each with its reason", () => {
  const window = { starts_at: '2026-12-01T00:00', ends_at: '2026-12-02T00:00' };
  const judged = (type: string, params: object, extra: Record<string, string> = {}): FieldProblem[] => {
    const r = judgeRuleForm({ type, active: 'true', params: JSON.stringify(params), ...extra }, { timeZone: 'UTC' });
    return r.ok ? [] : r.problems;
  };
  const reasons = (problems: FieldProblem[]) => problems.map((p) => ({ path: p.path, reason: p.reason }));
  const SELECTORS = ['item_types', 'product_groups', 'product_ids'];

  it.each<[string, FieldProblem[], string, ProblemReason]>([
    ['a multiplier that is not a decimal', judged('product_multiplier', { multiplier: '1,5', product_groups: ['vps'] }), 'params.multiplier', { code: 'decimal', params: { example: '1.5' } }],
    ['a multiplier of 1 or less', judged('product_multiplier', { multiplier: '0.5', product_groups: ['vps'] }), 'params.multiplier', { code: 'multiplier_range', params: { min: 1, max: 100 } }],
    ['a promo multiplier over 100', judged('promo', { multiplier: '101' }, window), 'params.multiplier', { code: 'multiplier_range', params: { min: 1, max: 100 } }],
    ['a label language that is not a code', judged('exclusion', { item_types: ['domain'], labels: { Russian: 'домены' } }), 'params.labels.Russian', { code: 'language_code', params: { example: 'ru' } }],
    ['an action label language that is not a code', judged('action', { kind: 'review', points: 25, labels: { Russian: 'отзыв' } }), 'params.labels.Russian', { code: 'language_code', params: { example: 'ru' } }],
    ['a multiplier without selectors', judged('product_multiplier', { multiplier: '2' }), 'params', { code: 'needs_one_of', params: { fields: SELECTORS } }],
    ['an exclusion without selectors', judged('exclusion', { label: 'everything' }), 'params', { code: 'needs_one_of', params: { fields: SELECTORS } }],
    ['an upgrade bonus of points and percent', judged('service_upgrade', { points: 50, percent: 10 }), 'params', { code: 'exactly_one_of', params: { fields: ['points', 'percent'] } }],
    ['an upgrade bonus of neither', judged('service_upgrade', { money_from: 'event' }), 'params', { code: 'exactly_one_of', params: { fields: ['points', 'percent'] } }],
    ['a streak of renewals and months', judged('renewal_streak', { streak: 3, months: 12, points: 50 }), 'params', { code: 'exactly_one_of', params: { fields: ['streak', 'months'] } }],
    ['a streak bonus of points and percent', judged('renewal_streak', { streak: 3, points: 50, percent: 10 }), 'params', { code: 'exactly_one_of', params: { fields: ['points', 'percent'] } }],
    ['an action kind with capitals and spaces', judged('action', { kind: 'Trustpilot review', points: 50 }), 'params.kind', { code: 'lowercase_id', params: { max: 32, symbols: '_ . -' } }],
  ])('%s', (_name, problems, path, reason) => {
    expect(reasons(problems)).toEqual([{ path, reason }]);
  });

  it('says each in the admin’s language, the field named and the numbers and names filled in', async () => {
    const translations = new Translations();
    await translations.init();
    const say = (language: string, problems: FieldProblem[]) => problems.map((p) => problemText(translations.for(language), p, 'Params'));
    const selectors = judged('exclusion', {});
    const both = judged('service_upgrade', { points: 50, percent: 10 });
    const range = judged('product_multiplier', { multiplier: '1', product_ids: ['7'] });
    const language = judged('exclusion', { item_types: ['domain'], labels: { RU: 'домены' } });
    const kind = judged('action', { kind: 'Review', points: 5 });
    expect(say('en', selectors)).toEqual(['Params: needs at least one of item_types, product_groups, product_ids']);
    expect(say('ru', selectors)).toEqual(['Params: укажите хотя бы одно из полей item_types, product_groups, product_ids']);
    expect(say('tr', both)).toEqual(['Params: şu alanlardan tam olarak biri verilmeli: points, percent']);
    expect(say('vi', range)).toEqual(['Params: phải lớn hơn 1 và tối đa là 100 (để các mục này không được tích điểm, hãy thêm quy tắc Loại trừ)']);
    expect(say('zh', language)).toEqual(['Params：必须是小写字母的语言代码，例如 ru']);
    expect(say('ru', kind)).toEqual(['Params: от 1 до 32 символов: строчные латинские буквы a–z, цифры или _ . -']);
    const invalid = (l: string) => translations.for(l).t('field_error.invalid', { field: 'Params' });
    for (const l of LANGUAGES) {
      for (const problems of [selectors, both, range, language, kind, judged('promo', { multiplier: 'x' }, window)]) {
        expect([l, ...say(l, problems)]).not.toContain(invalid(l));
        if (l !== 'en') expect([l, say(l, problems)]).not.toEqual([l, say('en', problems)]);
      }
    }
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
