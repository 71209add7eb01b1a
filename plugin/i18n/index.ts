import i18next, { type i18n as I18n, type TFunction } from 'i18next';
import en from './locales/en.json';
import ru from './locales/ru.json';
import tr from './locales/tr.json';
import vi from './locales/vi.json';
import zh from './locales/zh.json';

/** Languages with a locale file. English is complete and is the fallback for missing keys. */
export const LANGUAGES = ['en', 'ru', 'tr', 'vi', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

const STRINGS: Record<Language, object> = { en, ru, tr, vi, zh };

/**
 * The script each file is written in. A tag that implies another script is not our language:
 * zh-TW, zh-HK and zh-Hant are Traditional Chinese, and our zh is Simplified (see GLOSSARY.md).
 */
const SCRIPTS: Record<Language, string> = { en: 'Latn', ru: 'Cyrl', tr: 'Latn', vi: 'Latn', zh: 'Hans' };

export interface Translator {
  /** The i18n language (a locale file we have). */
  language: Language;
  /** The member's own locale for Intl formatting ("pt-BR" keeps Brazilian number formats). */
  locale: string;
  t: TFunction;
}

export class Translations {
  private readonly instance: I18n;

  constructor() {
    this.instance = i18next.createInstance();
  }

  async init(): Promise<void> {
    await this.instance.init({
      resources: Object.fromEntries(LANGUAGES.map((l) => [l, { translation: STRINGS[l] }])),
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
    const locale = parseLocale(requested);
    const language = locale && languageOf(locale);
    if (!locale || !language) return { language: 'en', locale: 'en', t: this.instance.getFixedT('en') };
    return { language, locale: locale.toString(), t: this.instance.getFixedT(language) };
  }
}

function parseLocale(tag: string | null | undefined): Intl.Locale | null {
  if (!tag) return null;
  try {
    return new Intl.Locale(tag);
  } catch {
    return null;
  }
}

function languageOf(locale: Intl.Locale): Language | null {
  const language = LANGUAGES.find((l) => l === locale.language);
  return language && locale.maximize().script === SCRIPTS[language] ? language : null;
}
