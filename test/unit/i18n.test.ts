import en from '../../plugin/i18n/locales/en.json';
import ru from '../../plugin/i18n/locales/ru.json';
import { Translations } from '../../plugin/i18n';

function keys(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (typeof v === 'object' && v ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

/** Plural suffixes differ by language (en: one/other; ru: one/few/many/other). */
const base = (k: string) => k.replace(/_(zero|one|two|few|many|other)$/, '');

describe('translations', () => {
  it('Russian covers every English string', () => {
    const missing = [...new Set(keys(en).map(base))].filter((k) => !keys(ru).map(base).includes(k));
    expect(missing).toEqual([]);
  });

  it('Russian has every plural form Intl needs', () => {
    const forms = new Intl.PluralRules('ru').resolvedOptions().pluralCategories;
    for (const form of forms) expect(keys(ru)).toContain(`points_count_${form}`);
  });

  it('keeps interpolation variables the same in both languages', () => {
    const vars = (s: string) => [...s.matchAll(/{{(\w+)}}/g)].map((m) => m[1]).sort();
    const flat = (obj: object) => Object.fromEntries(keys(obj).map((k) => [k, k.split('.').reduce<any>((o, p) => o[p], obj)]));
    const e = flat(en);
    const r = flat(ru);
    for (const k of Object.keys(e)) if (k in r) expect([k, vars(r[k])]).toEqual([k, vars(e[k])]);
  });

  it.each([
    [1, '1 балл'],
    [3, '3 балла'],
    [5, '5 баллов'],
    [21, '21 балл'],
  ])('Russian plural for %i points is "%s"', async (count, text) => {
    const t = new Translations();
    await t.init();
    expect(t.for('ru').t('points_count', { count, formatted: String(count) })).toBe(text);
  });

  it.each([
    ['ru-RU', 'ru', 'ru-RU'],
    ['pt-BR', 'en', 'en'],
    ['not a locale!', 'en', 'en'],
    [undefined, 'en', 'en'],
  ])('picks a language for %p', async (requested, language, locale) => {
    const t = new Translations();
    await t.init();
    expect(t.for(requested)).toMatchObject({ language, locale });
  });
});
