import type { Database } from '../db/database';
import type { LedgerEntry } from '../domain/ledger';
import type { Member } from '../domain/member';
import { currencyDigits, toDecimalString } from '../domain/money';
import { rateForDisplay } from '../domain/points';
import type { Program } from '../domain/program';
import { describeRules, nextStreakReward, ruleInForce, type RuleLine } from '../domain/rules';
import type { ServiceRecord, ServiceState } from '../domain/service-record';
import { cycleMonths } from '../domain/service-streak';
import type { TierChange } from '../domain/tiers';
import { MemberAccount } from './member-account';
import type { ProgramService } from './program-service';
import type { TierService, TierStatus } from './tier-service';

export const HISTORY_PAGE_SIZE = 20;
export const EXPIRY_WINDOW_DAYS = 30;
const TIER_CHANGES_SHOWN = 5;

/**
 * What a member's Rewards view shows, as plain data: no strings for people, no URLs. The
 * page presenter (web/client) and a JSON serializer both start from this.
 */
export interface RewardsData {
  /** The instant the data describes. */
  at: Date;
  /** Null for a client the panel vouched for who has no events yet. */
  member: Member | null;
  balances: { available: number; pending: number; lifetime: number };
  /** Pending points by the date they become spendable. */
  pendingReleases: Array<{ points: number; availableAt: Date }>;
  /** Points expiring within `withinDays`, and the first date any of them do. */
  expiring: { points: number; firstExpiry: Date | null; withinDays: number };
  history: {
    /** Newest first, at most HISTORY_PAGE_SIZE. */
    entries: LedgerEntry[];
    /** The cursor this page was read from (entries older than it); null for the newest page. */
    before: number | null;
    /** The cursor of the next older page, or null when this page is the oldest. */
    olderCursor: number | null;
  };
  tier: { status: TierStatus; changes: TierChange[] };
  /** The earning rules in force for this member now, and how long points live. */
  rules: { lines: RuleLine[]; expiryMonths: number | null };
  /** The member's services not cancelled, each with its renewal streak and the next streak reward in force. */
  services: ServiceStreak[];
}

export interface ServiceStreak {
  serviceId: string;
  state: ServiceState;
  /** Consecutive on-time renewals, and the months of service they cover. */
  streak: number;
  streakMonths: number;
  next: { renewalsToGo: number; points?: number; percent?: number } | null;
}

/** The Rewards view's one read: a member's balances, history page, tier and rules in force. */
export class RewardsQueryService {
  constructor(
    private readonly db: Database,
    private readonly program: ProgramService,
    private readonly tiers: TierService,
    private readonly clock: () => Date,
  ) {}

  async forClient(clientId: string, options: { before?: number } = {}): Promise<RewardsData> {
    const at = this.clock();
    const program = await this.program.current();
    const found = await this.db.repos.members.findByPanelClientId(clientId);
    const member = found && found.pointsPending > 0 ? await this.releaseDueOnRead(found.id) : found;
    if (!member) {
      return {
        at,
        member: null,
        balances: { available: 0, pending: 0, lifetime: 0 },
        pendingReleases: [],
        expiring: { points: 0, firstExpiry: null, withinDays: EXPIRY_WINDOW_DAYS },
        history: { entries: [], before: options.before ?? null, olderCursor: null },
        tier: { status: await this.tiers.status(null), changes: [] },
        rules: this.rulesInForce(program, null, null, at),
        services: [],
      };
    }
    const windowEnd = new Date(at.getTime() + EXPIRY_WINDOW_DAYS * 86_400_000);
    const [page, expiring, pendingReleases, tierStatus, tierChanges, services] = await Promise.all([
      this.db.repos.ledger.pageForMember(member.id, { beforeId: options.before, limit: HISTORY_PAGE_SIZE }),
      this.db.repos.lots.expiringBetween(member.id, at, windowEnd),
      member.pointsPending > 0 ? this.db.repos.lots.pendingByRelease(member.id) : Promise.resolve([]),
      this.tiers.status(member),
      this.db.repos.tiers.changesFor(member.id, TIER_CHANGES_SHOWN),
      member.servicesActive > 0 ? this.db.repos.services.forMember(member.id) : Promise.resolve([]),
    ]);
    const last = page.entries[page.entries.length - 1];
    return {
      at,
      member,
      balances: { available: member.pointsAvailable, pending: member.pointsPending, lifetime: member.pointsLifetime },
      pendingReleases,
      expiring: { points: expiring.points, firstExpiry: expiring.firstExpiry, withinDays: EXPIRY_WINDOW_DAYS },
      history: { entries: page.entries, before: options.before ?? null, olderCursor: page.hasOlder && last ? last.id : null },
      tier: { status: tierStatus, changes: tierChanges },
      rules: this.rulesInForce(program, member.currency, tierStatus.tier?.name ?? null, at),
      services: streaks(program, services, at),
    };
  }

  /**
   * Releases the member's pending points that are past the refund window, under the member's
   * row lock, so the view never shows points as pending that are due. This makes a read
   * write (DESIGN §10 "Reads must not lock"); it is kept in this one method until release
   * moves to jobs and writes only.
   */
  private async releaseDueOnRead(memberId: number): Promise<Member | null> {
    return this.db.transaction(async (tx) => {
      const account = await MemberAccount.lock(tx, { id: memberId });
      await account?.releaseDue();
      return account ? { ...account.member } : null;
    });
  }

  /**
   * Generated from the rules in force, so the view never describes rules that aren't. A
   * client whose currency isn't known yet sees the base rate of every currency.
   */
  private rulesInForce(program: Program, currency: string | null, tier: string | null, at: Date): RewardsData['rules'] {
    const lines: RuleLine[] = currency === null ? allBaseRates(program, at) : [];
    lines.push(...describeRules(program, currency, at, { tier }));
    return { lines, expiryMonths: program.expiryMonths };
  }
}

function streaks(program: Program, services: readonly ServiceRecord[], at: Date): ServiceStreak[] {
  return services
    .filter((s) => s.state !== 'cancelled')
    .map((s) => {
      const next = nextStreakReward(program.rules, at, { streak: s.streak, months: s.streakMonths }, cycleMonths(s.billingCycle ?? undefined));
      return {
        serviceId: s.serviceId,
        state: s.state,
        streak: s.streak,
        streakMonths: s.streakMonths,
        next: next && { renewalsToGo: next.renewalsToGo, ...(next.points !== undefined && { points: next.points }), ...(next.percent !== undefined && { percent: next.percent }) },
      };
    });
}

function allBaseRates(program: Program, at: Date): RuleLine[] {
  const base = program.baseRule;
  if (!ruleInForce(base, at)) return [];
  return Object.entries(program.earnRates).map(([currency, rate]) => {
    const shown = rateForDisplay(rate, currencyDigits(currency) ?? 2);
    return {
      key: 'rules.base_rate',
      params: { points: Number(shown.points), amount: toDecimalString({ currency, minor: shown.perMinor }), currency },
      ...(base.cap && { cap: { key: `rules.cap_${base.cap.period}`, params: { points: base.cap.points } } }),
    };
  });
}
