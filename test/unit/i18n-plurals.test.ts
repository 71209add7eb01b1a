import fs from 'node:fs';
import path from 'node:path';
import { LANGUAGES, LOCALES_DIR, Translations, type Translator } from '../../plugin/i18n';

/**
 * Strings that count something with a number say it in the number's form: "1 month", "2
 * months"; "1 месяц", "2 месяца", "5 месяцев". A string whose English puts a variable before a
 * plural noun ("{{months}} months") counts, so it needs plural forms and its caller a `count`;
 * a string without them reads "1 months" to every customer with one.
 */

function flatten(obj: object, prefix = ''): Array<[string, string]> {
  return Object.entries(obj).flatMap(([k, v]): Array<[string, string]> => (typeof v === 'object' && v !== null ? flatten(v, `${prefix}${k}.`) : [[`${prefix}${k}`, String(v)]]));
}

const PLURAL = /_(zero|one|two|few|many|other)$/;
const { meta: _meta, ...english } = JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, 'en.json'), 'utf8')) as Record<string, unknown>;
const EN = flatten(english);

/**
 * A variable, then perhaps words that describe the noun, then an English plural noun: "{{months}}
 * months", "{{renewals}} more on-time renewals". Not a multiplier ("×{{multiplier}} points":
 * "times two", not a count of points) nor a unit's symbol ("{{seconds}} s").
 */
const COUNTED = /(?<!×){{(\w+)}}((?:\s+(?:more|extra|new|on-time|earlier|already))*)\s+([a-z]{2,}s)\b/g;
/** Plural nouns of English that end in s but are no plural ("{{n}} is"), or a name used as a word. */
const NOT_PLURAL = new Set(['is', 'was', 'has', 'this', 'its', 'plus', 'status', 'bonus', 'as', 'us']);

describe('strings that count', () => {
  it('finds what it looks for', () => {
    const found = (s: string) => [...s.matchAll(COUNTED)].filter((m) => !NOT_PLURAL.has(m[3] ?? '')).map((m) => m[3]);
    expect(found('Points expire {{months}} months after you earn them.')).toEqual(['months']);
    expect(found('after {{renewals}} more on-time renewals: {{reward}}')).toEqual(['renewals']);
    expect(found('×{{multiplier}} points on everything')).toEqual([]);
    expect(found('in {{seconds}} s (the limit)')).toEqual([]);
  });

  it('every English string that puts a number before a plural noun has plural forms', () => {
    const missing = EN.filter(([key]) => !PLURAL.test(key)).flatMap(([key, s]) =>
      [...s.matchAll(COUNTED)].filter((m) => !NOT_PLURAL.has(m[3] ?? '')).map((m) => `${key}: {{${m[1]}}}${m[2] ?? ''} ${m[3]}`),
    );
    expect(missing).toEqual([]);
  });

  it('no English string hedges a plural with "(s)"', () => {
    expect(EN.filter(([, s]) => /\w\(s\)/.test(s)).map(([k]) => k)).toEqual([]);
  });

  it("a plural key's English forms differ where the number does: the _one form counts one thing", () => {
    const bases = [...new Set(EN.filter(([k]) => PLURAL.test(k)).map(([k]) => k.replace(PLURAL, '')))];
    const forms = new Map(EN);
    const same = bases.filter((b) => forms.get(`${b}_one`) !== undefined && forms.get(`${b}_one`) === forms.get(`${b}_other`));
    expect(same).toEqual([]);
  });
});

describe('counted strings in each language', () => {
  let translations: Translations;
  beforeAll(async () => {
    translations = new Translations();
    await translations.init();
  });
  const t = (language: string): Translator => translations.for(language);

  // The words each language's number takes, for 1, 2, 5 and 21 (and the number itself).
  const CASES: Array<[key: string, param: string, forms: Record<string, [string, string, string, string]>]> = [
    [
      'rewards.expiry_note',
      'months',
      {
        en: ['1 month after', '2 months after', '5 months after', '21 months after'],
        ru: ['1 месяц после', '2 месяца после', '5 месяцев после', '21 месяц после'],
        tr: ['1 ay sonra', '2 ay sonra', '5 ay sonra', '21 ay sonra'],
        vi: ['sau 1 tháng', 'sau 2 tháng', 'sau 5 tháng', 'sau 21 tháng'],
        zh: ['1 个月后', '2 个月后', '5 个月后', '21 个月后'],
      },
    ],
    [
      'rewards.expiry_note_inactivity',
      'months',
      {
        en: ['for 1 month.', 'for 2 months.', 'for 5 months.', 'for 21 months.'],
        ru: ['1 месяц подряд', '2 месяца подряд', '5 месяцев подряд', '21 месяц подряд'],
        tr: ['1 ay boyunca', '2 ay boyunca', '5 ay boyunca', '21 ay boyunca'],
        vi: ['trong 1 tháng', 'trong 2 tháng', 'trong 5 tháng', 'trong 21 tháng'],
        zh: ['连续 1 个月', '连续 2 个月', '连续 5 个月', '连续 21 个月'],
      },
    ],
    [
      'rewards.service_next_streak',
      'renewals',
      {
        en: ['1 more on-time renewal:', '2 more on-time renewals:', '5 more on-time renewals:', '21 more on-time renewals:'],
        ru: ['ещё 1 продления', 'ещё 2 продлений', 'ещё 5 продлений', 'ещё 21 продления'],
        tr: ['1 zamanında yenileme', '2 zamanında yenileme', '5 zamanında yenileme', '21 zamanında yenileme'],
        vi: ['sau 1 lần', 'sau 2 lần', 'sau 5 lần', 'sau 21 lần'],
        zh: ['续费 1 次', '续费 2 次', '续费 5 次', '续费 21 次'],
      },
    ],
    [
      'reason.renewal_streak',
      'streak',
      {
        en: ['1 on-time renewal in a row', '2 on-time renewals in a row', '5 on-time renewals in a row', '21 on-time renewals in a row'],
        ru: ['1 продление вовремя', '2 продления вовремя', '5 продлений вовремя', '21 продление вовремя'],
        tr: ['Art arda 1 zamanında', 'Art arda 2 zamanında', 'Art arda 5 zamanında', 'Art arda 21 zamanında'],
        vi: ['1 lần gia hạn', '2 lần gia hạn', '5 lần gia hạn', '21 lần gia hạn'],
        zh: ['连续 1 次', '连续 2 次', '连续 5 次', '连续 21 次'],
      },
    ],
  ];

  it.each(CASES.flatMap(([key, param, forms]) => LANGUAGES.map((language) => [key, param, language, forms[language]] as const)))(
    '%s (%s) in %s says each number in its form',
    (key, param, language, expected) => {
      expect(expected).toBeDefined();
      const said = [1, 2, 5, 21].map((n) => t(language).t(key, { count: n, [param]: String(n), points: 'P', reward: 'R', service: 'S' }));
      said.forEach((text, i) => expect(text).toContain(expected?.[i]));
    },
  );
});
