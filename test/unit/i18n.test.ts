import fs from 'node:fs';
import path from 'node:path';
import { LANGUAGES, LOCALES_DIR, Translations, type Language } from '../../plugin/i18n';

/** Every locale file's strings; `meta` describes the language and is not a string to translate. */
const FILES: Record<Language, object> = Object.fromEntries(
  LANGUAGES.map((l) => {
    const { meta: _meta, ...strings } = JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, `${l}.json`), 'utf8')) as Record<string, unknown>;
    return [l, strings];
  }),
);
const OTHERS = LANGUAGES.filter((l) => l !== 'en');

/** Every string of a locale file by its dotted key. */
function flatten(obj: object, prefix = ''): Record<string, string> {
  return Object.fromEntries(
    Object.entries(obj).flatMap(([k, v]): Array<[string, string]> =>
      typeof v === 'object' && v !== null ? Object.entries(flatten(v, `${prefix}${k}.`)) : [[`${prefix}${k}`, String(v)]],
    ),
  );
}

const PLURAL = /_(zero|one|two|few|many|other)$/;
const base = (k: string) => k.replace(PLURAL, '');
const all = new Map(LANGUAGES.map((l) => [l, flatten(FILES[l] ?? {})]));
const str = (l: Language): Record<string, string> => all.get(l) ?? {};
const bases = (l: Language) => [...new Set(Object.keys(str(l)).map(base))].sort();
const pluralBases = [...new Set(Object.keys(str('en')).filter((k) => PLURAL.test(k)).map(base))];
const vars = (s: string) => [...new Set([...s.matchAll(/{{(\w+)}}/g)].map((m) => m[1]))].sort();
/** The variables a key uses, over all its plural forms. */
const varsOf = (l: Language, key: string) =>
  [...new Set(Object.entries(str(l)).flatMap(([k, v]) => (base(k) === key ? vars(v) : [])))].sort();

async function translations(): Promise<Translations> {
  const t = new Translations();
  await t.init();
  return t;
}

describe('locale files', () => {
  it.each(OTHERS)('%s has every English key and none English lacks', (l) => {
    const missing = bases('en').filter((k) => !bases(l).includes(k));
    const extra = bases(l).filter((k) => !bases('en').includes(k));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it.each(LANGUAGES)('%s has exactly the plural forms Intl.PluralRules uses for it', (l) => {
    const forms = new Intl.PluralRules(l).resolvedOptions().pluralCategories;
    expect(pluralBases.length).toBeGreaterThan(0);
    for (const key of pluralBases) {
      const present = Object.keys(str(l)).filter((k) => base(k) === key && PLURAL.test(k));
      expect([key, present.sort()]).toEqual([key, forms.map((f) => `${key}_${f}`).sort()]);
    }
  });

  it.each(OTHERS)('%s uses the same interpolation variables as English in every string', (l) => {
    const differ = bases('en').filter((k) => JSON.stringify(varsOf(l, k)) !== JSON.stringify(varsOf('en', k)));
    expect(differ).toEqual([]);
  });

  /**
   * Our product name, the demo page's technical names, and words other languages spell as
   * English does (tr "panel", vi "demo", "plugin"). Any other English word in a translated
   * string is a string someone forgot to translate.
   */
  const KEPT = new Set(['json', 'cron', 'utf', 'hosting', 'rewards', 'webhook', 'post', 'hooks', 'events', 'http', 'outbox', 'idempotency', 'utc', 'panel', 'demo', 'plugin',
    // Format and currency codes, the ADMIN_PASSWORD variable, and words the languages share (tr "program", "form"; "email").
    'csv', 'usd', 'admin', 'password', 'email', 'program', 'form',
    // What a provider is told about a refused sign-in: standards' acronyms, the SSO token's claims, "cookie".
    'sso', 'csrf', 'jwt', 'ntp', 'url', 'iat', 'exp', 'sub', 'cookie']);
  /** Names written as in the code, not words: variables (SSO_CLOCK_SKEW_SECONDS, RATE_LIMIT_*) and claims (return_url). */
  const IDENTIFIERS = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+_?\*?|\b[a-z]+(?:_[a-z]+)+\b/g;
  it.each(OTHERS)('%s has no English words left in any string', (l) => {
    const words = (s: string) => s.replace(/{{\w+}}/g, ' ').replace(IDENTIFIERS, ' ').toLowerCase().match(/[a-z]{3,}/g) ?? [];
    const left = Object.entries(str(l)).flatMap(([k, v]) => {
      const english = new Set(words(str('en')[k] ?? str('en')[`${base(k)}_other`] ?? ''));
      const kept = words(v).filter((w) => english.has(w) && !KEPT.has(w));
      return kept.length ? [`${k}: ${kept.join(' ')}`] : [];
    });
    expect(left).toEqual([]);
  });
});

describe('Translations', () => {
  it.each([
    [1, '1 балл'],
    [3, '3 балла'],
    [5, '5 баллов'],
    [21, '21 балл'],
  ])('Russian plural for %i points is "%s"', async (count, text) => {
    const t = await translations();
    expect(t.for('ru').t('points_count', { count, formatted: String(count) })).toBe(text);
  });

  it.each([
    ['tr', 1, '1 puan'],
    ['tr', 5, '5 puan'],
    ['vi', 1, '1 điểm'],
    ['zh', 1, '1 积分'],
    ['zh', 5, '5 积分'],
  ])('%s: %i points is "%s"', async (language, count, text) => {
    const t = await translations();
    expect(t.for(language).t('points_count', { count, formatted: String(count) })).toBe(text);
  });

  it.each([
    ['ru-RU', 'ru', 'ru-RU'],
    ['tr-TR', 'tr', 'tr-TR'],
    ['tr', 'tr', 'tr'],
    ['vi', 'vi', 'vi'],
    ['vi-VN', 'vi', 'vi-VN'],
    ['zh', 'zh', 'zh'],
    ['zh-CN', 'zh', 'zh-CN'],
    ['zh-Hans', 'zh', 'zh-Hans'],
    ['zh-SG', 'zh', 'zh-SG'],
    ['zh-hans-cn', 'zh', 'zh-Hans-CN'],
    // Our zh is Simplified; a Traditional reader gets the program's default (GLOSSARY.md).
    ['zh-TW', 'en', 'en'],
    ['zh-Hant', 'en', 'en'],
    ['zh-HK', 'en', 'en'],
    ['pt-BR', 'en', 'en'],
    ['not a locale!', 'en', 'en'],
    [undefined, 'en', 'en'],
  ])('picks a language for %p', async (requested, language, locale) => {
    const t = await translations();
    expect(t.for(requested)).toMatchObject({ language, locale });
  });

  /** A line the tab shows, with money and a date formatted as the tab formats them; a deadline told by its last day. */
  it.each([
    ['ru-RU', 'RUB', /^Оплатите ещё .+, чтобы перейти на уровень Gold \(последний день — .+\)$/],
    ['tr-TR', 'TRY', /^Gold seviyesine ulaşmak için .+ daha harcayın \(son gün: .+\)$/],
    ['vi-VN', 'VND', /^Chi tiêu thêm .+ để lên hạng Gold \(ngày cuối cùng: .+\)$/],
    // A tier's name is program data, written in Chinese for zh: no space around it (GLOSSARY.md).
    ['zh-CN', 'CNY', /^再消费 .+ 即可升级为Gold（最后一天：.+）$/],
  ])('renders a %s line with no English but the tier name', async (tag, currency, shape) => {
    const t = (await translations()).for(tag);
    const amount = new Intl.NumberFormat(t.locale, { style: 'currency', currency }).format(800);
    const date = new Intl.DateTimeFormat(t.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date('2026-12-31T00:00:00Z'));
    const line = t.t('rewards.tier_next_by', { amount, date, tier: 'Gold' });
    expect(line).toMatch(shape);
    expect(line).toContain(amount);
    expect(line).toContain(date);
    expect(line.replace('Gold', '')).not.toMatch(/\b(spend|more|by|to|reach)\b/i);
  });
});
