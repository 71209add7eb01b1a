import fs from 'node:fs';
import path from 'node:path';
import { SETTING_KEYS } from '../../plugin/domain/settings';
import { PROBLEM_CODES, problem } from '../../plugin/domain/validation';
import { LANGUAGES, LOCALES_DIR, Translations } from '../../plugin/i18n';
import { problemText } from '../../plugin/web/admin/field-errors';

/**
 * The admin area's generated strings: a label and help text for every registered setting, and a
 * field-error string for every problem reason, in every locale. A setting added to the registry
 * (or a reason added to validation.ts) without its strings fails here, not on an admin's page.
 */
const file = (language: string) => JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, `${language}.json`), 'utf8')) as Record<string, Record<string, unknown>>;
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

describe('admin strings in every locale', () => {
  it.each(LANGUAGES)('%s has a label and help text for every registered setting', (language) => {
    const strings = file(language);
    const missing = SETTING_KEYS.flatMap((key) => [
      ...(text(strings.program_admin?.[`setting_${key}`]) ? [] : [`program_admin.setting_${key}`]),
      ...(text(strings.settings_help?.[key]) ? [] : [`settings_help.${key}`]),
    ]);
    expect(missing).toEqual([]);
  });

  it.each(LANGUAGES)('%s has help text only for registered settings', (language) => {
    expect(Object.keys(file(language).settings_help ?? {}).filter((k) => !(SETTING_KEYS as string[]).includes(k))).toEqual([]);
  });

  it.each(LANGUAGES)('%s has a field-error string naming the field for every problem reason', (language) => {
    const errors = file(language).field_error ?? {};
    expect(PROBLEM_CODES.filter((code) => !text(errors[code]).includes('{{field}}'))).toEqual([]);
    expect(Object.keys(errors).filter((k) => !(PROBLEM_CODES as readonly string[]).includes(k))).toEqual([]);
  });

  it.each(LANGUAGES.filter((l) => l !== 'en'))('%s fills in every parameter the English field-error string does', (language) => {
    const placeholders = (v: unknown) => [...text(v).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    const en = file('en').field_error ?? {};
    const errors = file(language).field_error ?? {};
    expect(PROBLEM_CODES.filter((code) => placeholders(errors[code]).join() !== placeholders(en[code]).join())).toEqual([]);
  });

  it('says a problem in the admin language with the field named and its numbers formatted for the locale', async () => {
    const translations = new Translations();
    await translations.init();
    const p = problem('refund_window_days', 'Number must be less than or equal to 365', 'at_most', { max: 365 });
    expect(problemText(translations.for('ru'), p, 'Срок ожидания')).toBe('Срок ожидания: должно быть не больше 365');
    expect(problemText(translations.for('en'), p, 'Pending window')).toBe('Pending window: must be at most 365');
    const big = problem('cost_points', 'x', 'between', { min: 1, max: 1_000_000_000 });
    expect(problemText(translations.for('de'), big, 'Cost')).toBe('Cost: must be from 1 to 1,000,000,000');
    expect(problemText(translations.for('zh'), { path: 'x', message: 'no reason' }, '字段')).toBe('字段：无效');
  });
});
