import type { Translations, Translator } from '../../i18n';

/** What a client's page may take its language from, most specific first. */
export interface ClientLanguageSources {
  /** The member's stored panel locale (the billing events' `client.locale`); none before they are a member. */
  memberLocale?: string | null;
  /** The SSO token's locale: covers a client not enrolled yet. */
  sessionLocale?: string;
  /** The browser's languages, best first (`req.acceptsLanguages()`). */
  accepted?: readonly string[];
  /** The program's default language (setting `default_language`). */
  programDefault?: string | null;
}

/**
 * The language of every page a client sees: the Rewards tab, the redemption pages and the
 * error pages between them all ask here, so a member never meets a page in another language
 * than the tab's. The panel's word for the member comes first (what it stored, then what its
 * token said), then the browser's, then the program's default, then English. Signed out,
 * only the browser and the program are known.
 */
export function clientLanguage(translations: Translations, sources: ClientLanguageSources): Translator {
  return translations.negotiate({
    client: [sources.memberLocale, sources.sessionLocale],
    accepted: sources.accepted,
    programDefault: sources.programDefault,
  });
}
