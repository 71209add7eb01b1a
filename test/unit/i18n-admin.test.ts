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

  /** A reason's strings: the one string, or its plural forms (a reason that counts: "at most 1 character"). */
  const PLURAL = /_(zero|one|two|few|many|other)$/;
  const formsOf = (errors: Record<string, unknown>, code: string) => Object.keys(errors).filter((k) => k === code || (PLURAL.test(k) && k.replace(PLURAL, '') === code)).map((k) => errors[k]);

  it.each(LANGUAGES)('%s has a field-error string naming the field for every problem reason', (language) => {
    const errors = file(language).field_error ?? {};
    expect(PROBLEM_CODES.filter((code) => formsOf(errors, code).length === 0 || formsOf(errors, code).some((v) => !text(v).includes('{{field}}')))).toEqual([]);
    expect(Object.keys(errors).filter((k) => !(PROBLEM_CODES as readonly string[]).includes(k.replace(PLURAL, '')))).toEqual([]);
  });

  it.each(LANGUAGES.filter((l) => l !== 'en'))('%s fills in every parameter the English field-error string does', (language) => {
    const placeholders = (forms: unknown[]) => [...new Set(forms.flatMap((v) => [...text(v).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1])))].sort();
    const en = file('en').field_error ?? {};
    const errors = file(language).field_error ?? {};
    expect(PROBLEM_CODES.filter((code) => placeholders(formsOf(errors, code)).join() !== placeholders(formsOf(en, code)).join())).toEqual([]);
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

  it('says a counted bound in the number’s form', async () => {
    const translations = new Translations();
    await translations.init();
    const say = (language: string, code: 'too_long' | 'within_days' | 'cell_count', params: Record<string, number>) => problemText(translations.for(language), problem('f', 'x', code, params), 'F');
    expect(say('en', 'too_long', { max: 1 })).toBe('F: must be at most 1 character');
    expect(say('en', 'too_long', { max: 1000 })).toBe('F: must be at most 1,000 characters');
    expect(say('ru', 'too_long', { max: 1 })).toBe('F: не длиннее 1 символа');
    expect(say('ru', 'too_long', { max: 64 })).toBe('F: не длиннее 64 символов');
    expect(say('ru', 'within_days', { days: 366 })).toBe('F: период не длиннее 366 дней');
    expect(say('ru', 'within_days', { days: 31 })).toBe('F: период не длиннее 31 дня');
    expect(say('en', 'cell_count', { cells: 1, columns: 3 })).toBe('F: has 1 cell, the header has 3');
    expect(say('ru', 'cell_count', { cells: 2, columns: 3 })).toBe('F: в строке 2 ячейки, а в заголовке 3');
  });
});
