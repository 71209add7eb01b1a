import type { LedgerEntry } from '../../domain/ledger';
import { parseMoney } from '../../domain/money';
import type { RuleLine } from '../../domain/rules';
import type { Translations, Translator } from '../../i18n';
import { formatDate, formatDecimal, formatInteger, formatMoney } from '../../i18n/format';
import type { RewardsData, RewardsQueryService } from '../../services/rewards-query-service';
import { mountUrl } from '../urls';

export interface HistoryRow {
  id: number;
  date: Date;
  reason: string;
  delta: number;
  balanceAfter: number;
}

export interface TierView {
  name: string;
  perks: string[];
  next: { name: string; progress: number; max: number; toGo: string; by: Date | null } | null;
  spend: string;
  history: Array<{ date: Date; text: string }>;
}

/** The Rewards tab as its template reads it: every string and link decided. */
export interface RewardsViewModel {
  enrolled: boolean;
  name: string | null;
  referralCode: string | null;
  balance: number;
  pending: number;
  pendingReleases: Array<{ points: number; date: Date }>;
  lifetime: number;
  expiring: { points: number; firstDate: Date | null };
  history: HistoryRow[];
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
  before?: number;
  /** Where the plugin's router is mounted (`req.baseUrl`); links are built from it. */
  mount?: string;
}

/** Turns the Rewards data into the tab's view model, in the member's language. */
export class RewardsTabPresenter {
  constructor(
    private readonly query: RewardsQueryService,
    private readonly translations: Translations,
  ) {}

  /** The member's panel locale wins over the session's. */
  async build(clientId: string, options: RewardsPageOptions = {}): Promise<{ model: RewardsViewModel; i18n: Translator }> {
    const data = await this.query.forClient(clientId, { before: options.before });
    const i18n = this.translations.for(data.member?.locale ?? options.sessionLocale);
    return { model: this.present(data, i18n, options.mount ?? ''), i18n };
  }

  present(data: RewardsData, i18n: Translator, mount: string): RewardsViewModel {
    const { member, history } = data;
    return {
      enrolled: member !== null,
      name: member?.name ?? null,
      referralCode: member?.referralCode ?? null,
      balance: data.balances.available,
      pending: data.balances.pending,
      pendingReleases: data.pendingReleases.map((p) => ({ points: p.points, date: p.availableAt })),
      lifetime: data.balances.lifetime,
      expiring: { points: data.expiring.points, firstDate: data.expiring.firstExpiry },
      history: history.entries.map((e) => ({
        id: e.id,
        date: e.createdAt,
        reason: this.reason(e, i18n),
        delta: e.delta,
        balanceAfter: e.balanceAfter,
      })),
      olderHref: history.olderCursor === null ? null : mountUrl(mount, 'client/rewards', { before: history.olderCursor }),
      newestHref: history.before === null ? null : mountUrl(mount, 'client/rewards'),
      howToEarn: this.howToEarn(data.rules, i18n),
      tier: this.tierView(data.tier, i18n),
      services: data.services.map((sv) => ({
        id: sv.serviceId,
        label: i18n.t('rewards.service_label', { id: sv.serviceId }),
        suspended: sv.state === 'suspended',
        streak: i18n.t('rewards.service_streak', { count: formatInteger(i18n.locale, sv.streak) }),
        next:
          sv.next &&
          i18n.t('rewards.service_next_streak', {
            renewals: formatInteger(i18n.locale, sv.next.renewalsToGo),
            reward: sv.next.points !== undefined ? points(sv.next.points, i18n) : i18n.t('rewards.service_next_percent', { percent: formatInteger(i18n.locale, sv.next.percent ?? 0) }),
          }),
      })),
    };
  }

  private tierView({ status, changes }: RewardsData['tier'], i18n: Translator): TierView | null {
    if (!status.tier) return null;
    const base = (minor: number) => formatMoney(i18n.locale, { currency: status.settings.baseCurrency, minor });
    const names = new Map(status.allTiers.map((t) => [t.id, t.name]));
    return {
      name: status.tier.name,
      perks: status.tier.perks[i18n.language] ?? status.tier.perks.en ?? [],
      spend: base(status.spendMinor),
      next: status.next && {
        name: status.next.name,
        progress: Math.min(status.spendMinor, status.next.thresholdMinor),
        max: status.next.thresholdMinor,
        toGo: base(status.toNextMinor),
        by: status.nextBy,
      },
      history: changes.map((c) => ({
        date: c.createdAt,
        text: i18n.t(`rewards.tier_change_${c.fromTierId === null ? 'join' : c.reason === 'grace_expired' ? 'down' : 'up'}`, {
          tier: names.get(c.toTierId) ?? '?',
        }),
      })),
    };
  }

  /** Each reason code is a `reason.<code>` string; its params are formatted for the locale. */
  private reason(entry: LedgerEntry, i18n: Translator): string {
    const p = entry.reasonParams;
    const params: Record<string, string | number> = { ...p };
    if (p.amount !== undefined && p.currency !== undefined) params.amount = amount(String(p.amount), String(p.currency), i18n);
    if (p.points !== undefined) params.points = points(Number(p.points), i18n);
    const text = i18n.t(`reason.${entry.reasonCode}`, { ...params, defaultValue: '' });
    return text || i18n.t('reason.unknown', { code: entry.reasonCode });
  }

  private howToEarn(rules: RewardsData['rules'], i18n: Translator): string[] {
    const lines = rules.lines.map((line) => ruleText(line, i18n));
    lines.push(i18n.t('rewards.earn_credit_note'));
    lines.push(
      rules.expiryMonths === null
        ? i18n.t('rewards.expiry_never')
        : i18n.t('rewards.expiry_note', { months: formatInteger(i18n.locale, rules.expiryMonths) }),
    );
    return lines;
  }
}

/** A rule line's params (see RuleLine) formatted for the locale. */
function ruleText(line: RuleLine, i18n: Translator): string {
  const params: Record<string, string | number> = { ...line.params };
  if (typeof line.params.points === 'number') params.points = points(line.params.points, i18n);
  if (line.params.amount !== undefined && line.params.currency !== undefined) {
    params.amount = amount(String(line.params.amount), String(line.params.currency), i18n);
  }
  if (typeof line.params.until === 'string') params.until = formatDate(i18n.locale, new Date(line.params.until));
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
