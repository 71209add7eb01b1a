import type { Database } from '../db/database';
import { currencyDigits, parseMoney } from '../domain/money';
import { rateForDisplay } from '../domain/points';
import { describeRules, ruleInForce } from '../domain/rules';
import type { Program } from '../domain/program';
import type { Translations, Translator } from '../i18n';
import type { LedgerEntry } from '../domain/ledger';
import type { Member } from '../domain/member';
import type { TierChange } from '../domain/tiers';
import { formatDate, formatInteger, formatMoney } from '../web/format';
import { MemberAccount } from './member-account';
import type { ProgramService } from './program-service';
import type { TierService, TierStatus } from './tier-service';

export const HISTORY_PAGE_SIZE = 20;
const EXPIRY_WINDOW_DAYS = 30;

export interface HistoryRow {
  id: number;
  date: Date;
  reason: string;
  delta: number;
  balanceAfter: number;
}

export interface RewardsViewModel {
  enrolled: boolean;
  name: string | null;
  referralCode: string | null;
  balance: number;
  pending: number;
  /** Pending points by the date they become spendable. */
  pendingReleases: Array<{ points: number; date: Date }>;
  lifetime: number;
  expiring: { points: number; firstDate: Date | null };
  history: HistoryRow[];
  olderHref: string | null;
  newestHref: string | null;
  howToEarn: string[];
  tier: TierView | null;
}

export interface TierView {
  name: string;
  perks: string[];
  next: { name: string; progress: number; max: number; toGo: string; by: Date | null } | null;
  spend: string;
  history: Array<{ date: Date; text: string }>;
}

/** Builds the Rewards tab's view model: every number the template shows, already decided. */
export class RewardsViewService {
  constructor(
    private readonly db: Database,
    private readonly program: ProgramService,
    private readonly tiers: TierService,
    private readonly translations: Translations,
    private readonly clock: () => Date,
  ) {}

  /**
   * The member's panel locale wins; the SSO token's locale covers a client not enrolled yet.
   */
  async build(
    clientId: string,
    options: { sessionLocale?: string; before?: number } = {},
  ): Promise<{ model: RewardsViewModel; i18n: Translator }> {
    const now = this.clock();
    const program = await this.program.current();
    const found = await this.db.repos.members.findByPanelClientId(clientId);
    const member = found && found.pointsPending > 0 ? await this.releaseDue(found.id) : found;
    const i18n = this.translations.for(member?.locale ?? options.sessionLocale);
    if (!member) {
      const model: RewardsViewModel = {
        enrolled: false,
        name: null,
        referralCode: null,
        balance: 0,
        pending: 0,
        pendingReleases: [],
        lifetime: 0,
        expiring: { points: 0, firstDate: null },
        history: [],
        olderHref: null,
        newestHref: null,
        howToEarn: this.howToEarn(program, null, null, i18n, now),
        tier: this.tierView(await this.tiers.status(null), [], i18n),
      };
      return { model, i18n };
    }
    const windowEnd = new Date(now.getTime() + EXPIRY_WINDOW_DAYS * 86_400_000);
    const [page, expiring, pendingReleases, tierStatus, tierChanges] = await Promise.all([
      this.db.repos.ledger.pageForMember(member.id, { beforeId: options.before, limit: HISTORY_PAGE_SIZE }),
      this.db.repos.lots.expiringBetween(member.id, now, windowEnd),
      member.pointsPending > 0 ? this.db.repos.lots.pendingByRelease(member.id) : Promise.resolve([]),
      this.tiers.status(member),
      this.db.repos.tiers.changesFor(member.id, 5),
    ]);
    const last = page.entries[page.entries.length - 1];
    const model: RewardsViewModel = {
      enrolled: true,
      name: member.name,
      referralCode: member.referralCode,
      balance: member.pointsAvailable,
      pending: member.pointsPending,
      pendingReleases: pendingReleases.map((p) => ({ points: p.points, date: p.availableAt })),
      lifetime: member.pointsLifetime,
      expiring: { points: expiring.points, firstDate: expiring.firstExpiry },
      history: page.entries.map((e) => ({
        id: e.id,
        date: e.createdAt,
        reason: this.reason(e, i18n),
        delta: e.delta,
        balanceAfter: e.balanceAfter,
      })),
      olderHref: page.hasOlder && last ? `/client/rewards?before=${last.id}` : null,
      newestHref: options.before !== undefined ? '/client/rewards' : null,
      howToEarn: this.howToEarn(program, member.currency, tierStatus.tier?.name ?? null, i18n, now),
      tier: this.tierView(tierStatus, tierChanges, i18n),
    };
    return { model, i18n };
  }

  private tierView(status: TierStatus, changes: TierChange[], i18n: Translator): TierView | null {
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

  /** The next read after the refund window passes releases the points (with a ledger entry). */
  private async releaseDue(memberId: number): Promise<Member | null> {
    return this.db.transaction(async (tx) => {
      const account = await MemberAccount.lock(tx, { id: memberId });
      await account?.releaseDue();
      return account?.member ?? null;
    });
  }

  /** Each reason code is a `reason.<code>` string; its params are formatted for the locale. */
  private reason(entry: LedgerEntry, i18n: Translator): string {
    const p = entry.reasonParams;
    const params: Record<string, string | number> = { ...p };
    if (p.amount !== undefined && p.currency !== undefined) params.amount = this.amount(String(p.amount), String(p.currency), i18n);
    if (p.points !== undefined) params.points = this.points(Number(p.points), i18n);
    const text = i18n.t(`reason.${entry.reasonCode}`, { ...params, defaultValue: '' });
    return text || i18n.t('reason.unknown', { code: entry.reasonCode });
  }

  /** "1 point", "2,5 балла": rates can be fractional, balances never are. */
  private points(n: number, i18n: Translator): string {
    return i18n.t('points_count', { count: n, formatted: new Intl.NumberFormat(i18n.locale, { maximumFractionDigits: 4 }).format(n) });
  }

  private amount(decimal: string, currency: string, i18n: Translator): string {
    const parsed = parseMoney(decimal, currency);
    return parsed.ok ? formatMoney(i18n.locale, parsed.value) : `${decimal} ${currency}`;
  }

  /** Generated from the rules in force, so the tab never describes rules that aren't. */
  private howToEarn(program: Program, currency: string | null, tierName: string | null, i18n: Translator, now: Date): string[] {
    const lines = currency === null ? this.allRates(program, i18n, now) : [];
    for (const line of describeRules(program, currency, now, { tier: tierName })) {
      const params: Record<string, string | number> = { ...line.params };
      if (typeof line.params.points === 'number') params.points = this.points(line.params.points, i18n);
      if (line.params.amount !== undefined && line.params.currency !== undefined) {
        params.amount = this.amount(String(line.params.amount), String(line.params.currency), i18n);
      }
      if (typeof line.params.until === 'string') params.until = formatDate(i18n.locale, new Date(line.params.until));
      const cap = line.cap && i18n.t(line.cap.key, { points: this.points(Number(line.cap.params.points), i18n) });
      lines.push(cap ? `${i18n.t(line.key, params)} (${cap})` : i18n.t(line.key, params));
    }
    lines.push(i18n.t('rewards.earn_credit_note'));
    lines.push(
      program.expiryMonths === null
        ? i18n.t('rewards.expiry_never')
        : i18n.t('rewards.expiry_note', { months: formatInteger(i18n.locale, program.expiryMonths) }),
    );
    return lines;
  }

  /** A client whose currency we don't know yet sees every currency's rate. */
  private allRates(program: Program, i18n: Translator, now: Date): string[] {
    const base = program.baseRule;
    if (!ruleInForce(base, now)) return [];
    const cap = base.cap && i18n.t(`rules.cap_${base.cap.period}`, { points: this.points(base.cap.points, i18n) });
    return Object.entries(program.earnRates).map(([cur, rate]) => {
      const shown = rateForDisplay(rate, currencyDigits(cur) ?? 2);
      const line = i18n.t('rules.base_rate', {
        points: this.points(Number(shown.points), i18n),
        amount: formatMoney(i18n.locale, { currency: cur, minor: shown.perMinor }),
      });
      return cap ? `${line} (${cap})` : line;
    });
  }
}
