import type { ExpiryPolicy } from '../../domain/expiry-policy';
import type { LedgerEntry } from '../../domain/ledger';
import { parseMoney } from '../../domain/money';
import { actionNameIn, type RuleLine } from '../../domain/rules';
import { localized, type Tier } from '../../domain/tiers';
import type { Translations, Translator } from '../../i18n';
import { formatDate, formatDecimal, formatInteger, formatLastDay, formatList, formatMoney, formatPercent, sumByLastDay } from '../../i18n/format';
import { HISTORY_DAYS, HISTORY_KINDS, type HistoryFilter, type RewardsData, type RewardsQueryService } from '../../services/rewards-query-service';
import { mountUrl } from '../urls';
import { clientLanguage } from './client-language';

/** Rows shown before "show more": the rest of the page waits in a `<details>`, no script needed. */
export const HISTORY_SHOWN = 10;

export interface HistoryRow {
  id: number;
  /** The entry's day on the program's clock. */
  date: string;
  /** The reason around the invoice's number, so the number can be kept on one line. */
  reason: { before: string; ref: string | null; after: string };
  delta: number;
  balanceAfter: number;
}

export interface LadderRow {
  name: string;
  threshold: string;
  multiplier: string;
  discount: string;
  perks: string[];
  current: boolean;
}

export interface TierView {
  name: string;
  perks: string[];
  /** Set when the member's currency doesn't earn, so point perks are not read as a promise. */
  perksNote: string | null;
  spend: string;
  /** A progress bar towards the next tier, with its accessible name; null when there is no next tier or the currency doesn't count. */
  progress: { value: number; max: number; label: string } | null;
  /** What the next tier takes, or why spending doesn't move it. */
  next: string | null;
  top: boolean;
  /** Below the tier's threshold: what keeps it and by when. */
  keep: string | null;
  saved: string | null;
  ladder: LadderRow[];
  history: Array<{ date: string; text: string }>;
}

export interface FilterView {
  kinds: Array<{ value: string; label: string; selected: boolean }>;
  from: string;
  to: string;
  /** The days the date inputs offer (HISTORY_DAYS). */
  min: string;
  max: string;
  active: boolean;
  clearHref: string;
}

/** The Rewards tab as its template reads it: every string and link decided. */
export interface RewardsViewModel {
  enrolled: boolean;
  name: string | null;
  backHref: string | null;
  balance: number;
  pending: number;
  /** "10 points on Dec 6, 2026": when pending points become spendable, on the program's clock. */
  pendingReleases: string[];
  lifetime: number;
  /**
   * `first`: the last day the first of the points expiring within the window can be used;
   * `upcoming`: the next last days with their points (`rewards.expiring_on`). Days on the
   * program's clock, a deadline told by its last day (`formatLastDay`).
   */
  expiring: { points: number; first: string | null; upcoming: string[] };
  /** Said once, at the top, when the member's currency doesn't earn or doesn't count for tiers. */
  currencyNotes: string[];
  history: HistoryRow[];
  historyMore: HistoryRow[];
  historyEmpty: string;
  filter: FilterView;
  olderHref: string | null;
  newestHref: string | null;
  howToEarn: string[];
  tier: TierView | null;
  /** Each service's renewal streak and the next streak reward (templates/partials/service-streaks.hbs). */
  services: ServiceStreakView[];
}

export interface ServiceStreakView {
  id: string;
  label: string;
  suspended: boolean;
  streak: string;
  /** Null when no streak rule in force has a reward ahead. */
  next: string | null;
}

export interface RewardsPageOptions {
  /** The SSO token's locale: covers a client not enrolled yet. */
  sessionLocale?: string;
  /** The browser's languages, best first (`req.acceptsLanguages()`). */
  accepted?: readonly string[];
  before?: number;
  filter?: HistoryFilter;
  /** Where the plugin's router is mounted (`req.baseUrl`); links are built from it. */
  mount?: string;
  /** The panel's client area, for the way back (the SSO token's return_url, or PANEL_ORIGIN). */
  backHref?: string | null;
}

/** Turns the Rewards data into the tab's view model, in the member's language. */
export class RewardsTabPresenter {
  constructor(
    private readonly query: RewardsQueryService,
    private readonly translations: Translations,
  ) {}

  /** Language: `clientLanguage`, from what the tab's one read brings (the member and the program). */
  async build(clientId: string, options: RewardsPageOptions = {}): Promise<{ model: RewardsViewModel; i18n: Translator }> {
    const data = await this.query.forClient(clientId, { before: options.before, filter: options.filter });
    const i18n = clientLanguage(this.translations, {
      memberLocale: data.member?.locale,
      sessionLocale: options.sessionLocale,
      accepted: options.accepted,
      programDefault: data.defaultLanguage,
    });
    return { model: this.present(data, i18n, options.mount ?? '', options.backHref ?? null), i18n };
  }

  /**
   * The tab's language for a page other than the tab (an error page in the client area): the
   * same choice, from the same sources, read on their own.
   */
  async language(clientId: string, options: Pick<RewardsPageOptions, 'sessionLocale' | 'accepted'> = {}): Promise<Translator> {
    const { memberLocale, defaultLanguage } = await this.query.languageOf(clientId);
    return clientLanguage(this.translations, { memberLocale, sessionLocale: options.sessionLocale, accepted: options.accepted, programDefault: defaultLanguage });
  }

  present(data: RewardsData, i18n: Translator, mount: string, backHref: string | null = null): RewardsViewModel {
    const { member, history } = data;
    const languages = [i18n.language, data.defaultLanguage];
    const facts = data.currency;
    const earning = list(facts.earning, i18n);
    const currencyNotes: string[] = [];
    if (facts.code && !facts.earns) currencyNotes.push(i18n.t('rewards.currency_no_earn', { currency: facts.code, currencies: earning }));
    if (facts.code && !facts.countsForTiers && data.tier.status.tier) currencyNotes.push(i18n.t('rewards.currency_no_tiers', { currency: facts.code }));
    // Reasons keep the tier's key as written when earned; the page names it in the member's language.
    const tierNames = new Map(data.tier.status.allTiers.map((t) => [t.name, localized(t.names, languages) ?? t.name]));
    // Actions as their rule names them now, in the member's language (the entry keeps the name of when it was earned).
    const actionNames = new Map(Object.entries(data.actionNames).map(([rule, name]) => [rule, actionNameIn(name, languages)]));
    const { timeZone } = data;
    const day = (d: Date) => formatDate(i18n.locale, d, timeZone);
    const lastDay = (d: Date) => formatLastDay(i18n.locale, d, timeZone);
    const rows = history.entries.map((e) => ({ id: e.id, date: day(e.createdAt), reason: this.reason(e, i18n, tierNames, actionNames), delta: e.delta, balanceAfter: e.balanceAfter }));
    const filterQuery = filterParams(history.filter);
    const filtered = Object.keys(filterQuery).length > 0;
    return {
      enrolled: member !== null,
      name: member?.name ?? null,
      backHref,
      balance: data.balances.available,
      pending: data.balances.pending,
      pendingReleases: data.pendingReleases.map((p) => i18n.t('rewards.pending_release', { points: formatInteger(i18n.locale, p.points), date: day(p.availableAt) })),
      lifetime: data.balances.lifetime,
      expiring: {
        points: data.expiring.points,
        first: data.expiring.firstExpiry && lastDay(data.expiring.firstExpiry),
        // The query sums deadlines by day at the clock's offset now: across a summer time
        // change, one within the change of midnight can be summed with the day next to it, and
        // is then told under the earlier day (its sum's first deadline's), never a later one.
        upcoming: sumByLastDay(data.expiring.upcoming, i18n.locale, timeZone).map((u) => i18n.t('rewards.expiring_on', { points: points(u.points, i18n), date: u.day })),
      },
      currencyNotes,
      history: rows.slice(0, HISTORY_SHOWN),
      historyMore: rows.slice(HISTORY_SHOWN),
      historyEmpty: filtered
        ? i18n.t('rewards.history_empty_filtered')
        : facts.code && !facts.earns
          ? i18n.t('rewards.history_empty_no_earn', { currency: facts.code })
          : i18n.t('rewards.history_empty'),
      filter: {
        kinds: [
          { value: '', label: i18n.t('rewards.filter_all'), selected: !history.filter.kind },
          ...Object.keys(HISTORY_KINDS).map((k) => ({ value: k, label: i18n.t(`rewards.filter_${k}`), selected: history.filter.kind === k })),
        ],
        from: history.filter.from ? isoDay(history.filter.from) : '',
        to: history.filter.to ? isoDay(history.filter.to) : '',
        min: HISTORY_DAYS.first,
        max: HISTORY_DAYS.last,
        active: filtered,
        clearHref: mountUrl(mount, 'client/rewards'),
      },
      olderHref: history.olderCursor === null ? null : mountUrl(mount, 'client/rewards', { ...filterQuery, before: history.olderCursor }),
      newestHref: history.before === null ? null : mountUrl(mount, 'client/rewards', filtered ? filterQuery : undefined),
      howToEarn: this.howToEarn(data.rules, i18n, languages, timeZone),
      tier: this.tierView(data, i18n, languages, earning),
      services: data.services.map((sv) => ({
        id: sv.serviceId,
        label: i18n.t('rewards.service_label', { id: sv.serviceId }),
        suspended: sv.state === 'suspended',
        streak: i18n.t('rewards.service_streak', { count: formatInteger(i18n.locale, sv.streak) }),
        next:
          sv.next &&
          i18n.t('rewards.service_next_streak', {
            count: sv.next.renewalsToGo,
            renewals: formatInteger(i18n.locale, sv.next.renewalsToGo),
            reward: sv.next.points !== undefined ? points(sv.next.points, i18n) : i18n.t('rewards.service_next_percent', { percent: formatInteger(i18n.locale, sv.next.percent ?? 0) }),
          }),
      })),
    };
  }

  private tierView(data: RewardsData, i18n: Translator, languages: string[], earning: string): TierView | null {
    const { status, changes } = data.tier;
    if (!status.tier) return null;
    const base = (minor: number) => formatMoney(i18n.locale, { currency: status.settings.baseCurrency, minor });
    const lastDay = (d: Date) => formatLastDay(i18n.locale, d, data.timeZone);
    const nameOf = (t: Tier) => localized(t.names, languages) ?? t.name;
    const perksOf = (t: Tier) => localized(t.perks, languages) ?? [];
    const names = new Map(status.allTiers.map((t) => [t.id, nameOf(t)]));
    const counts = data.currency.countsForTiers;
    const next = status.next;
    const current = status.tier;
    const saved = data.tier.savedThisYear.filter((m) => m.minor > 0);
    return {
      name: nameOf(current),
      perks: perksOf(current),
      perksNote: data.currency.code && !data.currency.earns ? i18n.t('rewards.perks_currency_note', { currencies: earning }) : null,
      spend: base(status.spendMinor),
      progress:
        next && counts
          ? {
              value: Math.min(status.spendMinor, next.thresholdMinor),
              max: next.thresholdMinor,
              label: i18n.t('rewards.tier_progress_label', { spent: base(status.spendMinor), threshold: base(next.thresholdMinor), tier: nameOf(next) }),
            }
          : null,
      next: !next
        ? null
        : !counts
          ? null
          : status.nextBy
            ? i18n.t('rewards.tier_next_by', { amount: base(status.toNextMinor), tier: nameOf(next), date: lastDay(status.nextBy) })
            : i18n.t('rewards.tier_next', { amount: base(status.toNextMinor), tier: nameOf(next) }),
      top: !next,
      keep:
        data.tier.keepUntil && status.spendMinor < current.thresholdMinor
          ? i18n.t(data.tier.gracePaused ? 'rewards.tier_keep_by_paused' : 'rewards.tier_keep_by', {
              amount: base(current.thresholdMinor - status.spendMinor),
              tier: nameOf(current),
              date: lastDay(data.tier.keepUntil),
            })
          : null,
      saved: saved.length > 0 ? i18n.t('rewards.tier_saved', { amount: list(saved.map((m) => formatMoney(i18n.locale, m)), i18n) }) : null,
      ladder: [...status.allTiers]
        .sort((a, b) => a.rank - b.rank)
        .map((t) => ({
          name: nameOf(t),
          threshold: t.thresholdMinor === 0 ? i18n.t('rewards.ladder_from_start') : base(t.thresholdMinor),
          multiplier: i18n.t('rewards.ladder_multiplier_value', { multiplier: formatDecimal(i18n.locale, Number(t.earnMultiplier)) }),
          discount: t.renewalDiscountBp > 0 ? formatPercent(i18n.locale, t.renewalDiscountBp / 10_000) : i18n.t('rewards.ladder_none'),
          perks: perksOf(t),
          current: t.id === current.id,
        })),
      history: changes.map((c) => ({
        date: formatDate(i18n.locale, c.createdAt, data.timeZone),
        text: i18n.t(`rewards.tier_change_${c.fromTierId === null ? 'join' : c.reason === 'grace_expired' ? 'down' : 'up'}`, {
          tier: names.get(c.toTierId) ?? '?',
        }),
      })),
    };
  }

  /**
   * Each reason code is a `reason.<code>` string; its params are formatted for the locale. The
   * invoice's number is cut out, so the page can keep it on one line.
   */
  private reason(entry: LedgerEntry, i18n: Translator, tierNames: ReadonlyMap<string, string>, actionNames: ReadonlyMap<string, string>): HistoryRow['reason'] {
    const p = entry.reasonParams;
    const params = reasonParams(p, i18n, tierNames, entry.rule === null ? undefined : actionNames.get(entry.rule));
    const ref = p.invoice === undefined ? null : String(p.invoice);
    if (ref !== null) params.invoice = MARK;
    const text = i18n.t(`reason.${entry.reasonCode}`, { ...params, defaultValue: '' }) || i18n.t('reason.unknown', { code: entry.reasonCode });
    const at = ref === null ? -1 : text.indexOf(MARK);
    return at < 0 ? { before: text, ref: null, after: '' } : { before: text.slice(0, at), ref, after: text.slice(at + MARK.length) };
  }

  private howToEarn(rules: RewardsData['rules'], i18n: Translator, languages: string[], timeZone: string): string[] {
    const lines = rules.lines.map((line) => ruleText(line, i18n, languages, timeZone));
    if (rules.lines.some((l) => l.key === 'rules.base_rate')) lines.push(i18n.t('rewards.rounding_note'));
    lines.push(i18n.t('rewards.earn_credit_note'));
    lines.push(expiryNote(rules.expiry, i18n));
    return lines;
  }
}

/** Stands in for the invoice number while its sentence is translated; never in any locale file. */
const MARK = '\u0000invoice\u0000';

/**
 * A reason's params (`LedgerEntry.reasonParams`) formatted for the locale, as the tier ladder
 * formats its own: points, money, multipliers ("×1,5"), percentages, counts and due dates.
 * `lots` or `streak` is also the `count` its plural forms go by. `tierNames` gives the tier's name in the page's language
 * for the key the reason was written with, and `action` the action's name there (its rule's
 * `labels`; the entry's own `action`, the rule's label or kind when it was earned, without it).
 * The Rewards tab and the admin's member page both say a reason this way.
 */
export function reasonParams(p: LedgerEntry['reasonParams'], i18n: Translator, tierNames: ReadonlyMap<string, string>, action?: string): Record<string, string | number> {
  const params: Record<string, string | number> = { ...p };
  if (typeof p.tier === 'string') params.tier = tierNames.get(p.tier) ?? p.tier;
  if (p.action !== undefined && action !== undefined) params.action = action;
  if (p.amount !== undefined && p.currency !== undefined) params.amount = amount(String(p.amount), String(p.currency), i18n);
  if (p.points !== undefined) params.points = points(Number(p.points), i18n);
  if (p.multiplier !== undefined) params.multiplier = decimal(p.multiplier, i18n);
  if (p.percent !== undefined) params.percent = decimal(p.percent, i18n);
  // A renewal's due date (YYYY-MM-DD, a calendar day, not an instant) as the locale writes dates.
  if (typeof p.due_date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(p.due_date)) params.due_date = formatDate(i18n.locale, new Date(`${p.due_date}T00:00:00Z`), 'UTC');
  // A streak's length is the count its plural forms go by ("1 on-time renewal in a row").
  if (p.streak !== undefined && Number.isFinite(Number(p.streak))) {
    params.count = Number(p.streak);
    params.streak = formatInteger(i18n.locale, Number(p.streak));
  }
  if (p.lots !== undefined && Number.isFinite(Number(p.lots))) {
    params.count = Number(p.lots);
    params.lots = formatInteger(i18n.locale, Number(p.lots));
  }
  return params;
}

/** A multiplier ("1.5", stored as written) or a percentage as the locale writes the number; as is if it is not one. */
function decimal(value: string | number, i18n: Translator): string {
  const n = Number(value);
  return Number.isFinite(n) ? formatDecimal(i18n.locale, n) : String(value);
}

/** A rule line's params (see RuleLine) formatted for the locale; a promotion's end (exclusive) as its last day on the program's clock. */
function ruleText(line: RuleLine, i18n: Translator, languages: string[], timeZone: string): string {
  const params: Record<string, string | number> = { ...line.params };
  if (typeof line.params.points === 'number') params.points = points(line.params.points, i18n);
  if (line.params.amount !== undefined && line.params.currency !== undefined) {
    params.amount = amount(String(line.params.amount), String(line.params.currency), i18n);
  }
  if (typeof line.params.until === 'string') params.until = formatLastDay(i18n.locale, new Date(line.params.until), timeZone);
  if (line.params.multiplier !== undefined) params.multiplier = decimal(line.params.multiplier, i18n);
  if (line.params.percent !== undefined) params.percent = decimal(line.params.percent, i18n);
  // A streak's renewals or months are the count its plural forms go by ("after 1 month").
  for (const k of ['streak', 'months'] as const) {
    const n = line.params[k];
    if (typeof n === 'number') {
      params[k] = formatInteger(i18n.locale, n);
      params.count = n;
    }
  }
  if (line.productLabels) params.products = localized(line.productLabels, languages) ?? params.products ?? '';
  if (line.actionLabels) params.action = actionNameIn({ labels: line.actionLabels, fallback: String(line.params.action ?? '') }, languages);
  const cap = line.cap && i18n.t(line.cap.key, { points: points(line.cap.params.points, i18n) });
  return cap ? `${i18n.t(line.key, params)} (${cap})` : i18n.t(line.key, params);
}

/** "1 point", "2,5 балла": rates can be fractional, balances never are. */
function points(n: number, i18n: Translator): string {
  return i18n.t('points_count', { count: n, formatted: formatDecimal(i18n.locale, n) });
}

function amount(decimal: string, currency: string, i18n: Translator): string {
  const parsed = parseMoney(decimal, currency);
  return parsed.ok ? formatMoney(i18n.locale, parsed.value) : `${decimal} ${currency}`;
}

/** "USD, EUR and GBP" in the page's language. */
function list(items: readonly string[], i18n: Translator): string {
  return formatList(i18n.locale, items);
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The filter as query parameters, so paging keeps it. */
function filterParams(f: HistoryFilter): Record<string, string> {
  return {
    ...(f.kind && { kind: f.kind }),
    ...(f.from && { from: isoDay(f.from) }),
    ...(f.to && { to: isoDay(f.to) }),
  };
}

/** How points expire under the program's policy, in words. */
function expiryNote(policy: ExpiryPolicy, i18n: Translator): string {
  const n = (value: number) => formatInteger(i18n.locale, value);
  switch (policy.policy) {
    case 'never':
      return i18n.t('rewards.expiry_never');
    case 'months_after_earning':
      return i18n.t('rewards.expiry_note', { count: policy.months, months: n(policy.months) });
    case 'end_of_month':
      return i18n.t('rewards.expiry_note_end_of_month', { count: policy.months, months: n(policy.months) });
    case 'end_of_year':
      return i18n.t('rewards.expiry_note_end_of_year', { count: policy.years, years: n(policy.years) });
    case 'inactivity':
      return i18n.t('rewards.expiry_note_inactivity', { count: policy.months, months: n(policy.months) });
  }
}
