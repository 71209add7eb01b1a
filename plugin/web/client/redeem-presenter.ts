import type { Member } from '../../domain/member';
import type { Money } from '../../domain/money';
import { rewardNameOf, type CodeTerms, type Redemption } from '../../domain/redemption';
import { deliveryOf, termsOf, type Delivery, type RedemptionRefusal, type Reward } from '../../domain/rewards';
import { localized } from '../../domain/tiers';
import type { Translations, Translator } from '../../i18n';
import { formatDateTime, formatDecimal, formatInteger, formatMoney } from '../../i18n/format';
import type { Offer } from '../../services/redemption-service';
import { mountUrl } from '../urls';
import { clientLanguage, type ClientLanguageSources } from './client-language';

export interface OfferView {
  id: number;
  name: string;
  description: string;
  /** "500 points", or for a flexible reward "1.00 for every 100 points". */
  price: string;
  href: string | null;
  /** Why it can't be redeemed now, in words; null when it can. */
  blocked: string | null;
}

export interface ConfirmView {
  reward: { id: number; name: string; description: string };
  summary: string | null;
  nextSteps: string;
  flexible: { step: number; min: number; max: number; label: string } | null;
  refusal: string | null;
  key: string;
  /** What the page shows (`termsOf`), posted back so a confirmation made on other terms is refused. */
  terms: string;
  csrfToken: string;
  action: string;
  backHref: string;
}

export interface RedemptionView {
  summary: string;
  state: Redemption['state'];
  stateText: string;
  reference: string | null;
  /** The promo code, once the panel has created it. */
  code: string | null;
  /** What the code gives and until when, while it is on its way or ready; null when not known. */
  codeTerms: string | null;
  href: string;
  backHref: string;
}

/** The redemption pages as their templates read them: every string and link decided. */
export class RedeemPresenter {
  constructor(private readonly translations: Translations) {}

  /** The tab's language (`clientLanguage`), from the member these pages already read. */
  i18nFor(member: Member | null, sources: Omit<ClientLanguageSources, 'memberLocale'>): Translator {
    return clientLanguage(this.translations, { ...sources, memberLocale: member?.locale });
  }

  /**
   * A confirmation posted for a reward the member's catalog doesn't offer now: that it is not
   * offered, and nothing of the reward. It may be a draft or not started yet, and ids count up.
   */
  unavailable(i18n: Translator, mount: string): { refusal: string; backHref: string } {
    return { refusal: refusalText(i18n, 'reward_unavailable'), backHref: mountUrl(mount, 'client/rewards/redeem') };
  }

  catalog(i18n: Translator, member: Member | null, offers: Offer[], recent: ReadonlyArray<{ redemption: Redemption; reward: Reward | null }>, mount: string, timeZone: string) {
    return {
      recent: recent.map((r) => this.redemption(i18n, r.redemption, r.reward, mount, timeZone)),
      balance: points(i18n, member?.pointsAvailable ?? 0),
      backHref: mountUrl(mount, 'client/rewards'),
      offers: offers.map((o): OfferView => {
        const blocked = o.decision.ok ? null : refusalText(i18n, o.decision.refusal, o.decision.needed);
        return {
          id: o.reward.id,
          name: text(o.reward.names, i18n),
          description: text(o.reward.descriptions, i18n),
          price: priceText(i18n, o.reward, member?.currency ?? null, o.delivery),
          href: blocked === null ? mountUrl(mount, `client/rewards/redeem/${o.reward.id}`) : null,
          blocked,
        };
      }),
    };
  }

  confirm(
    i18n: Translator,
    input: {
      reward: Reward;
      member: Member | null;
      key: string;
      csrfToken: string;
      mount: string;
      refusal?: { code: RedemptionRefusal; needed?: number };
      /** How this panel delivers it (a code may become credit); absent, as the reward is defined. */
      delivery?: Delivery | null;
    },
  ): ConfirmView {
    const { reward, member } = input;
    const currency = member?.currency ?? null;
    const step = reward.stepPoints ?? 0;
    const delivery = input.delivery === undefined ? deliveryOf(reward) : input.delivery;
    const code = delivery === 'promo';
    return {
      reward: { id: reward.id, name: text(reward.names, i18n), description: text(reward.descriptions, i18n) },
      summary: summaryOf(i18n, reward, currency, delivery),
      nextSteps: i18n.t(code ? 'redeem.next_steps_code' : 'redeem.next_steps'),
      flexible:
        reward.costPoints === null && step > 0
          ? {
              step,
              min: reward.minPoints ?? step,
              max: Math.max(reward.minPoints ?? step, Math.floor(Math.max(0, member?.pointsAvailable ?? 0) / step) * step),
              label: i18n.t('redeem.points_label', { step: formatInteger(i18n.locale, step), min: formatInteger(i18n.locale, reward.minPoints ?? step) }),
            }
          : null,
      refusal: input.refusal ? refusalText(i18n, input.refusal.code, input.refusal.needed) : null,
      key: input.key,
      terms: termsOf(reward, currency, delivery),
      csrfToken: input.csrfToken,
      action: mountUrl(input.mount, `client/rewards/redeem/${reward.id}`),
      backHref: mountUrl(input.mount, 'client/rewards/redeem'),
    };
  }

  /** `timeZone`: the program's, the clock a code's expiry is told on (members have none of their own on record). */
  redemption(i18n: Translator, redemption: Redemption, reward: Reward | null, mount: string, timeZone: string): RedemptionView {
    const name = rewardNameOf(redemption, reward, [i18n.language]);
    // A failed or cancelled redemption's code was never made, or never will be: its terms would mislead.
    const live = redemption.state === 'pending' || redemption.state === 'applied';
    return {
      summary:
        redemption.value.minor > 0
          ? i18n.t('redeem.summary', { reward: name, points: points(i18n, redemption.points), amount: money(i18n, redemption.value) })
          : `${name}: ${points(i18n, redemption.points)}`,
      code: redemption.state === 'applied' && redemption.code ? i18n.t('redeem.code', { code: redemption.code }) : null,
      codeTerms: live && redemption.code && redemption.codeTerms ? i18n.t('redeem.code_terms_line', { ...keptCodeTerms(i18n, redemption.codeTerms, timeZone) }) : null,
      href: mountUrl(mount, `client/redemptions/${redemption.id}`),
      state: redemption.state,
      stateText: i18n.t(redemption.state === 'applied' && redemption.code ? 'redeem.state_applied_code' : `redeem.state_${redemption.state}`),
      reference: redemption.panelReference && i18n.t('redeem.reference', { reference: redemption.panelReference }),
      backHref: mountUrl(mount, 'client/rewards'),
    };
  }
}

/** Provider text in the member's language, else English, else whatever there is. */
function text(byLanguage: Record<string, string>, i18n: Translator): string {
  return localized(byLanguage, [i18n.language]) ?? '';
}

function points(i18n: Translator, n: number): string {
  return i18n.t('points_count', { count: n, formatted: formatDecimal(i18n.locale, n) });
}

function money(i18n: Translator, m: Money): string {
  return formatMoney(i18n.locale, m);
}

/**
 * Every term `termsOf` compares, in words: a confirmation refused with `terms_changed` must
 * show the member what changed (a code's discount and validity, a step's value), not the
 * same sentence as before.
 */
function summaryOf(i18n: Translator, reward: Reward, currency: string | null, delivery: Delivery | null): string | null {
  const unit = currency === null ? undefined : reward.values[currency];
  const value = currency !== null && unit !== undefined ? money(i18n, { currency, minor: unit }) : null;
  if (reward.costPoints === null) {
    const step = reward.stepPoints;
    return delivery === 'credit' && value !== null && step !== null && step > 0 ? i18n.t('redeem.confirm_summary_flexible', { amount: value, points: points(i18n, step) }) : null;
  }
  const cost = points(i18n, reward.costPoints);
  if (delivery === 'promo') {
    const codeTerms = codeTermsOf(i18n, reward, currency, delivery);
    return codeTerms ? i18n.t('redeem.confirm_summary_code_terms', { points: cost, ...codeTerms }) : i18n.t('redeem.confirm_summary_code', { points: cost });
  }
  return value && i18n.t('redeem.confirm_summary', { points: cost, amount: value });
}

function priceText(i18n: Translator, reward: Reward, currency: string | null, delivery: Delivery | null): string {
  const unit = currency === null ? undefined : reward.values[currency];
  const codeTerms = codeTermsOf(i18n, reward, currency, delivery);
  if (reward.costPoints !== null && codeTerms) return `${points(i18n, reward.costPoints)} · ${i18n.t('redeem.code_terms', { ...codeTerms })}`;
  if (reward.costPoints !== null) {
    const value = currency !== null && unit !== undefined ? i18n.t('redeem.value', { amount: money(i18n, { currency, minor: unit }) }) : '';
    return value ? `${points(i18n, reward.costPoints)} · ${value}` : points(i18n, reward.costPoints);
  }
  if (currency === null || unit === undefined || reward.stepPoints === null) return '';
  return i18n.t('redeem.step', { amount: money(i18n, { currency, minor: unit }), points: points(i18n, reward.stepPoints) });
}

/** What a code takes off and how long it lasts, in the member's words. */
interface CodeTermsText {
  discount: string;
  validity: string;
}

/**
 * A code's terms as the panel will create it (see `RedemptionService`): the percentage, or the
 * reward's value in the member's currency, valid for its days from the redemption. Null when the
 * reward is not delivered as a code, or its discount can't be said for this member (no value in
 * their currency: the redemption is refused anyway).
 */
function codeTermsOf(i18n: Translator, reward: Reward, currency: string | null, delivery: Delivery | null): CodeTermsText | null {
  const promo = reward.promo;
  if (delivery !== 'promo' || !promo) return null;
  let discount: string;
  if (promo.type === 'percent') {
    if (promo.percent === undefined) return null;
    discount = discountText(i18n, { type: 'percent', percent: promo.percent });
  } else {
    const unit = currency === null ? undefined : reward.values[currency];
    if (currency === null || unit === undefined) return null;
    discount = discountText(i18n, { type: 'amount', amount: { currency, minor: unit } });
  }
  const validity =
    promo.validDays === null
      ? i18n.t('redeem.valid_no_end')
      : i18n.t('redeem.valid_days', { count: promo.validDays, formatted: formatInteger(i18n.locale, promo.validDays) });
  return { discount, validity };
}

/**
 * A redeemed code's terms as the redemption kept them: what the panel was asked to create, in
 * the currency it was made in, with the instant it stops working (not "N days after").
 */
function keptCodeTerms(i18n: Translator, terms: CodeTerms, timeZone: string): CodeTermsText {
  return {
    discount: discountText(i18n, terms.discount),
    validity: terms.expiresAt === null ? i18n.t('redeem.valid_no_end') : i18n.t('redeem.valid_until', { date: formatDateTime(i18n.locale, terms.expiresAt, timeZone) }),
  };
}

/** "15% off", "$10.00 off". */
function discountText(i18n: Translator, d: CodeTerms['discount']): string {
  return d.type === 'percent' ? i18n.t('redeem.discount_percent', { percent: formatDecimal(i18n.locale, d.percent) }) : i18n.t('redeem.discount_amount', { amount: money(i18n, d.amount) });
}

export function refusalText(i18n: Translator, code: RedemptionRefusal, needed?: number): string {
  return i18n.t(`redeem.refusal.${code}`, { points: points(i18n, needed ?? 0) });
}
