import fs from 'node:fs';
import path from 'node:path';
import i18next, { type i18n as I18n, type TFunction } from 'i18next';
import { PACKAGE_ROOT } from '../paths';

/**
 * The locale files, one per language: `locales/<language>.json`. A file is the whole of a
 * language: its strings, and under `meta` its script, writing direction and own name. Adding a
 * language is adding a file (README "Adding a language"); nothing here lists them.
 */
export const LOCALES_DIR = path.join(PACKAGE_ROOT, 'plugin', 'i18n', 'locales');

/** What a locale file says about its language (the `meta` block). */
export interface LanguageMeta {
  /** ISO 15924 script the file is written in ("Latn", "Cyrl", "Hans"). */
  script: string;
  dir: 'ltr' | 'rtl';
  /** The language's name in itself ("Türkçe"). */
  name: string;
  /** The tag for `<html lang>` where the bare language is ambiguous ("zh-Hans"); the language otherwise. */
  tag: string;
}

export type Language = string;

interface LocaleFile {
  language: Language;
  meta: LanguageMeta;
  strings: Record<string, unknown>;
}

function readLocales(dir: string): LocaleFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^[a-z]{2,3}\.json$/.test(f))
    .sort()
    .map((file) => {
      const language = file.slice(0, -'.json'.length);
      const strings = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
      const meta = strings.meta as Partial<LanguageMeta> | undefined;
      if (!meta || typeof meta.script !== 'string' || (meta.dir !== 'ltr' && meta.dir !== 'rtl') || typeof meta.name !== 'string') {
        throw new Error(`${file}: the "meta" block needs "script" (ISO 15924), "dir" ("ltr" or "rtl") and "name"`);
      }
      const tag = typeof meta.tag === 'string' ? meta.tag : language;
      return { language, meta: { script: meta.script, dir: meta.dir, name: meta.name, tag }, strings };
    });
}

const FILES = readLocales(LOCALES_DIR);

/** Languages with a locale file, English first: it is complete and the fallback for missing keys. */
export const LANGUAGES: readonly Language[] = ['en', ...FILES.map((f) => f.language).filter((l) => l !== 'en')];
const META = new Map(FILES.map((f) => [f.language, f.meta]));

export interface Translator {
  /** The i18n language (a locale file we have). */
  language: Language;
  /** The member's own locale for Intl formatting ("pt-BR" keeps Brazilian number formats). */
  locale: string;
  /** For `<html lang>`: the language with its script where the file's script is not the obvious one ("zh-Hans"). */
  htmlLang: string;
  dir: 'ltr' | 'rtl';
  t: TFunction;
}

/** Where a page's language may come from, most specific first (see `Translations.negotiate`). */
export interface LocaleSources {
  /** The panel's locale for the client: the member's stored locale, or the SSO token's. */
  client?: Array<string | null | undefined>;
  /** `Accept-Language`, best first (express `req.acceptsLanguages()`). */
  accepted?: readonly string[];
  /** The program's default language (setting `default_language`). */
  programDefault?: string | null;
}

/** Past this many, the negotiated-tag cache starts over: tags come from browsers, so their number has no bound. */
const MAX_CACHED_TAGS = 512;

export class Translations {
  private readonly instance: I18n;
  /** One translator per (language, locale): a page asks for one per request. */
  private readonly translators = new Map<string, Translator>();
  /** What each requested tag resolved to (null: not one of our languages). */
  private readonly matches = new Map<string, Translator | null>();

  constructor() {
    this.instance = i18next.createInstance();
  }

  async init(): Promise<void> {
    await this.instance.init({
      resources: Object.fromEntries(FILES.map((f) => [f.language, { translation: f.strings }])),
      supportedLngs: [...LANGUAGES],
      fallbackLng: 'en',
      initAsync: false,
      // Handlebars escapes helper output; escaping here too would double-escape.
      interpolation: { escapeValue: false },
      returnNull: false,
    });
  }

  /**
   * Picks the best language for a BCP 47 tag; unknown or malformed tags fall back to English.
   * The locale stays the member's full tag ("tr-TR", "zh-SG") when we have their language.
   */
  for(requested: string | null | undefined): Translator {
    return this.match(requested) ?? this.translator('en', 'en');
  }

  /**
   * The page's language: the panel's client locale first, then the browser's Accept-Language,
   * then the program's default, then English. A source whose language has no file (a
   * Traditional Chinese tag, Portuguese) is passed over, not half-served.
   */
  negotiate(sources: LocaleSources): Translator {
    for (const tag of [...(sources.client ?? []), ...(sources.accepted ?? []), sources.programDefault]) {
      const found = this.match(tag);
      if (found) return found;
    }
    return this.translator('en', 'en');
  }

  /** Whether a tag gets a language of ours (for checking the program default at start-up). */
  supports(tag: string | null | undefined): boolean {
    return this.match(tag) !== null;
  }

  private match(requested: string | null | undefined): Translator | null {
    if (!requested) return null;
    // Parsing and maximizing a tag (Intl.Locale) costs more than the rest of a lookup.
    const known = this.matches.get(requested);
    if (known !== undefined) return known;
    const locale = parseLocale(requested);
    const language = locale && languageOf(locale);
    const found = locale && language ? this.translator(language, locale.toString()) : null;
    if (this.matches.size >= MAX_CACHED_TAGS) this.matches.clear();
    this.matches.set(requested, found);
    return found;
  }

  private translator(language: Language, locale: string): Translator {
    const key = `${language}\u0000${locale}`;
    let translator = this.translators.get(key);
    if (!translator) {
      const meta = META.get(language);
      translator = { language, locale, htmlLang: meta?.tag ?? language, dir: meta?.dir ?? 'ltr', t: this.fixedT(language) };
      this.translators.set(key, translator);
    }
    return translator;
  }

  /**
   * i18next's `getFixedT(language)`, made cheap for what pages call most. Its function copies
   * the whole i18next options object on every call (a tab view makes a few hundred calls:
   * a quarter of the page's CPU and much of its garbage). Strings without options are the
   * same every time, from locale files read once, so each is kept after its first lookup;
   * calls with options go to `t` with the language set, which is what the fixed function does
   * for them.
   */
  private fixedT(language: Language): TFunction {
    const fixed = this.instance.getFixedT(language);
    const plain = new Map<string, string>();
    const t = (key: unknown, options?: unknown, ...rest: unknown[]): unknown => {
      if (typeof key !== 'string' || rest.length > 0 || (options !== undefined && (typeof options !== 'object' || options === null))) {
        return (fixed as unknown as (...args: unknown[]) => unknown)(key, options, ...rest);
      }
      if (options === undefined || isEmpty(options)) {
        let text = plain.get(key);
        if (text === undefined) {
          text = String(this.instance.t(key, { lng: language }));
          plain.set(key, text);
        }
        return text;
      }
      return this.instance.t(key, { ...(options as object), lng: language });
    };
    return t as unknown as TFunction;
  }
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

function parseLocale(tag: string | null | undefined): Intl.Locale | null {
  if (!tag || tag === '*') return null;
  try {
    return new Intl.Locale(tag);
  } catch {
    return null;
  }
}

/**
 * The file for a tag: same language and script. A tag that implies another script is not our
 * language: zh-TW, zh-HK and zh-Hant are Traditional Chinese, and our zh is Simplified.
 */
function languageOf(locale: Intl.Locale): Language | null {
  const meta = META.get(locale.language);
  return meta && locale.maximize().script === meta.script ? locale.language : null;
}
