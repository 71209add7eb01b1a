import { editsSince, formAfterPost, shownOf } from '../../plugin/domain/form-edits';
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
