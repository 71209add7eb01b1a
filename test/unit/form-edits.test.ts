import { editsSince, formAfterPost, shownOf } from '../../plugin/domain/form-edits';
import { ruleFormValues } from '../../plugin/domain/rule-edits';
import type { StoredRule } from '../../plugin/domain/rules';
import { tierFormValues } from '../../plugin/domain/tier-form';
import type { Tier } from '../../plugin/domain/tiers';
import { problem } from '../../plugin/domain/validation';

describe("an editor's post over the row as it is now", () => {
  const now = { cost_points: '500', stock: '4', active: 'true', name_en: 'Credit' };
  const shown = JSON.stringify({ cost_points: '500', stock: '5', active: 'true', name_en: 'Credit' });

  it('takes only the fields changed on the form', () => {
    expect(editsSince({ shown, cost_points: '600', stock: '5', active: 'true', name_en: 'Credit' }, now)).toEqual({ edits: { cost_points: '600' }, conflicts: [] });
  });

  it('refuses a field changed on the form and meanwhile, to different values, naming its value now', () => {
    const { conflicts } = editsSince({ shown, stock: '10' }, now);
    expect(conflicts).toEqual([expect.objectContaining({ path: 'stock', reason: { code: 'changed_meanwhile', params: { now: '4' } } })]);
    // The same value both ways is no conflict.
    expect(editsSince({ shown, stock: '4' }, now).conflicts).toEqual([]);
    // A field emptied meanwhile is named as a dash, not as nothing.
    expect(editsSince({ shown, stock: '10' }, { ...now, stock: '' }).conflicts[0]?.reason?.params).toEqual({ now: '—' });
  });

  it('without what the form showed, takes every posted field of the form', () => {
    expect(editsSince({ stock: '10', other: 'x' }, now)).toEqual({ edits: { stock: '10' }, conflicts: [] });
    expect(editsSince({ shown: '[1]', stock: '10' }, now).edits).toEqual({ stock: '10' });
  });

  it('a multi-line field sent back untouched, with the CRLF line breaks a browser posts a textarea with, is no edit', () => {
    const params = '{\n  "percent": 10\n}';
    const body = { shown: JSON.stringify({ params, active: 'true' }), params: '{\r\n  "percent": 10\r\n}', active: 'false' };
    // Someone else changed the params meanwhile: theirs stand, as this editor did not touch them.
    expect(editsSince(body, { params: '{\n  "percent": 20\n}', active: 'true' })).toEqual({ edits: { active: 'false' }, conflicts: [] });
  });

  it('reads `shown` only as a JSON object of strings', () => {
    expect(shownOf({ shown: '{"a":"1"}' })).toEqual({ a: '1' });
    for (const bad of ['[1]', '{"a":1}', 'null', '{', undefined, ['{}']]) expect(shownOf({ shown: bad })).toBeNull();
  });
});

describe('an editor drawn again after a refused post', () => {
  const now = { stock: '4', cost_points: '500', active: 'false' };
  const shown = JSON.stringify({ stock: '5', cost_points: '500', active: 'true' });

  it("keeps what was typed in a changed field and shows the rest as it is now; `shown` keeps what the editor was shown, but a conflicting field's value now", () => {
    const posted = { shown, stock: '10', cost_points: '0', active: 'true' };
    const form = formAfterPost(now, posted, [problem('stock', 'changed', 'changed_meanwhile', { now: '4' }), problem('cost_points', 'too low', 'between')]);
    expect(['stock', 'cost_points', 'active'].map(form.value)).toEqual(['10', '0', 'false']);
    // cost_points: still the editor's change over the 500 they saw; stock: they have now seen 4.
    expect(form.shown).toEqual({ stock: '4', cost_points: '500', active: 'false' });
  });

  it('without a post, or a post without `shown`, shows the row now or what was posted', () => {
    expect(formAfterPost(now, undefined, [])).toMatchObject({ shown: now });
    expect(formAfterPost(now, undefined, []).value('stock')).toBe('4');
    const form = formAfterPost(now, { stock: ' 7 ' }, []);
    expect([form.value('stock'), form.value('active')]).toEqual(['7', 'false']);
  });
});

describe("a rule's and a tier's form text", () => {
  it('a rule: its switch, params pretty-printed, window in the time zone and cap; the new rule form blank', () => {
    const rule: StoredRule = { id: 3, type: 'renewal_bonus', params: '{"percent":10}', active: true, startsAt: new Date('2026-11-22T10:00:00Z'), endsAt: null, capPoints: 50, capPeriod: 'month' };
    expect(ruleFormValues(rule, 'Europe/Istanbul')).toEqual({ active: 'true', params: '{\n  "percent": 10\n}', starts_at: '2026-11-22T13:00', ends_at: '', cap_points: '50', cap_period: 'month' });
    expect(ruleFormValues(null, 'UTC')).toEqual({ active: 'false', params: '{}', starts_at: '', ends_at: '', cap_points: '', cap_period: '' });
  });

  it("a tier: threshold in the base currency, multiplier, discount percentage, a name per language (English falling back to the key name)", () => {
    const tier: Tier = { id: 2, name: 'Silver', rank: 1, thresholdMinor: 50000, earnMultiplier: '1.25', renewalDiscountBp: 750, perks: {}, names: { ru: 'Серебряный' } };
    expect(tierFormValues(tier, 'JPY', ['en', 'ru', 'tr'])).toEqual({ threshold: '50000', earn_multiplier: '1.25', renewal_discount_percent: '7.5', name_en: 'Silver', name_ru: 'Серебряный', name_tr: '' });
    expect(tierFormValues(tier, 'USD', []).threshold).toBe('500.00');
  });
});
