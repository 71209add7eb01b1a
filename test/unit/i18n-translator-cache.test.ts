import i18next from 'i18next';
import fs from 'node:fs';
import path from 'node:path';
import { LANGUAGES, LOCALES_DIR, Translations } from '../../plugin/i18n';

/**
 * The translator keeps strings without options after their first lookup and calls i18next
 * directly for the rest (issue 14: i18next's fixed-language function cost the Rewards tab a
 * quarter of its CPU). What a page reads must not change: every key of every language, with no
 * options, with `count`, and with a default, equals what i18next's own `getFixedT` gives, on the
 * first call and on the cached second.
 */
describe('the translator cache', () => {
  const translations = new Translations();
  const reference = i18next.createInstance();
  beforeAll(async () => {
    await translations.init();
    const resources = Object.fromEntries(
      LANGUAGES.map((l) => [l, { translation: JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, `${l}.json`), 'utf8')) as object }]),
    );
    await reference.init({ resources, supportedLngs: [...LANGUAGES], fallbackLng: 'en', initAsync: false, interpolation: { escapeValue: false }, returnNull: false });
  });

  function keys(obj: object, prefix = ''): string[] {
    return Object.entries(obj).flatMap(([k, v]) => (typeof v === 'object' && v !== null ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`.replace(/_(zero|one|two|few|many|other)$/, '')]));
  }
  const en = JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, 'en.json'), 'utf8')) as Record<string, unknown>;
  const all = [...new Set(keys(en).filter((k) => !k.startsWith('meta.')))];

  it.each([...LANGUAGES])('gives what i18next gives in %s', (language) => {
    const t = translations.for(language).t;
    const want = reference.getFixedT(language);
    expect(all.length).toBeGreaterThan(100);
    for (const key of all) {
      for (let round = 0; round < 2; round++) {
        expect([key, t(key)]).toEqual([key, want(key)]);
        expect([key, t(key, {})]).toEqual([key, want(key, {})]);
        expect([key, t(key, { count: 1, points: '1', amount: '$1.00' })]).toEqual([key, want(key, { count: 1, points: '1', amount: '$1.00' })]);
        expect([key, t(key, { count: 5, points: '5' })]).toEqual([key, want(key, { count: 5, points: '5' })]);
      }
    }
    expect(t('no.such.key', { defaultValue: 'fallback' })).toBe('fallback');
    expect(t('no.such.key')).toBe(want('no.such.key'));
  });

  it('hands out one translator per language and locale', () => {
    expect(translations.for('tr-TR')).toBe(translations.for('tr-TR'));
    expect(translations.negotiate({ client: ['ru'] })).toBe(translations.for('ru'));
    expect(translations.for('tr-TR').locale).toBe('tr-TR');
    expect(translations.for('tr').locale).toBe('tr');
    expect(translations.for('zh-TW').language).toBe('en');
  });
});
