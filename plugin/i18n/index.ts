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

export class Translations {
  private readonly instance: I18n;

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
    const locale = parseLocale(requested);
    const language = locale && languageOf(locale);
    return locale && language ? this.translator(language, locale.toString()) : null;
  }

  private translator(language: Language, locale: string): Translator {
    const meta = META.get(language);
    return { language, locale, htmlLang: meta?.tag ?? language, dir: meta?.dir ?? 'ltr', t: this.instance.getFixedT(language) };
  }
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
