import i18next, { type i18n as I18n, type TFunction } from 'i18next';
import en from './locales/en.json';
import ru from './locales/ru.json';

/** Languages with a locale file. English is complete and is the fallback for missing keys. */
export const LANGUAGES = ['en', 'ru'] as const;
export type Language = (typeof LANGUAGES)[number];

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
      resources: { en: { translation: en }, ru: { translation: ru } },
      supportedLngs: [...LANGUAGES],
      fallbackLng: 'en',
      initAsync: false,
      // Handlebars escapes helper output; escaping here too would double-escape.
      interpolation: { escapeValue: false },
      returnNull: false,
    });
  }

  /** Picks the best language for a BCP 47 tag; unknown or malformed tags fall back to English. */
  for(requested: string | null | undefined): Translator {
    let locale = 'en';
    try {
      locale = requested ? (Intl.getCanonicalLocales(requested)[0] ?? 'en') : 'en';
    } catch {
      locale = 'en';
    }
    const base = locale.split('-')[0] as Language;
    const language: Language = (LANGUAGES as readonly string[]).includes(base) ? base : 'en';
    return { language, locale: language === base ? locale : 'en', t: this.instance.getFixedT(language) };
  }
}
