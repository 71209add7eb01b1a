import type { Member } from '../../domain/member';
import { rewardNameOf, type RedemptionState } from '../../domain/redemption';
import type { Translations, Translator } from '../../i18n';
import { formatDate, formatInteger } from '../../i18n/format';
import type { RedemptionHistory } from '../../services/redemption-service';
import { mountUrl } from '../urls';
import { clientLanguage, type ClientLanguageSources } from './client-language';
import { RedeemPresenter } from './redeem-presenter';

export interface RedemptionRowView {
  id: number;
  dateText: string;
  /** The reward's name as it was redeemed, in the member's language (else English, else any). */
  name: string;
  points: string;
  state: RedemptionState;
  stateText: string;
  /** "Your code: …", once the panel has made it; as the redemption's own page says it. */
  code: string | null;
  /** The redemption's own page. */
  href: string;
}

export interface RedemptionListView {
  rows: RedemptionRowView[];
  /** What an empty page says: nothing redeemed yet, or nothing older than the link's cursor. */
  empty: string | null;
  olderHref: string | null;
  newestHref: string | null;
  /** The catalog, for a member who can redeem. */
  redeemHref: string | null;
  backHref: string;
}

/** The page of all a member's redemptions as its template reads it: every string and link decided. */
export class RedemptionListPresenter {
  private readonly redeem: RedeemPresenter;

  constructor(private readonly translations: Translations) {
    this.redeem = new RedeemPresenter(translations);
  }

  /** The tab's language (`clientLanguage`), from the member the page already read. */
  i18nFor(member: Member | null, sources: Omit<ClientLanguageSources, 'memberLocale'>): Translator {
    return clientLanguage(this.translations, { ...sources, memberLocale: member?.locale });
  }

  present(i18n: Translator, page: RedemptionHistory, mount: string): RedemptionListView {
    const rows = page.redemptions.map(({ redemption, reward }): RedemptionRowView => {
      // State and code in the same words as the redemption's own page.
      const view = this.redeem.redemption(i18n, redemption, reward, mount, page.timeZone);
      return {
        id: redemption.id,
        dateText: formatDate(i18n.locale, redemption.createdAt, page.timeZone),
        name: rewardNameOf(redemption, reward, [i18n.language]),
        points: formatInteger(i18n.locale, redemption.points),
        state: redemption.state,
        stateText: view.stateText,
        code: view.code,
        href: view.href,
      };
    });
    return {
      rows,
      empty: rows.length > 0 ? null : i18n.t(page.before === null ? 'redeem.history_empty' : 'redemption_list.empty_older'),
      olderHref: page.olderCursor === null ? null : mountUrl(mount, 'client/redemptions', { before: page.olderCursor }),
      newestHref: page.before === null ? null : mountUrl(mount, 'client/redemptions'),
      redeemHref: page.member ? mountUrl(mount, 'client/rewards/redeem') : null,
      backHref: mountUrl(mount, 'client/rewards'),
    };
  }
}
