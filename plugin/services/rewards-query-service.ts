import type { Database } from '../db/database';
import type { LedgerEntry, LedgerKind } from '../domain/ledger';
import type { ExpiryPolicy } from '../domain/expiry-policy';
import type { Member } from '../domain/member';
import { currencyDigits, toDecimalString, type Money } from '../domain/money';
import { rateForDisplay } from '../domain/points';
import type { Program } from '../domain/program';
import { actionNames, describeRules, nextStreakReward, ruleInForce, type ActionName, type RuleLine } from '../domain/rules';
import type { ServiceRecord, ServiceState } from '../domain/service-record';
import { cycleMonths } from '../domain/service-streak';
import { graceEndsAt, toQualifying, type TierChange } from '../domain/tiers';
import { STORABLE_DAYS, storableBound, utcOffset, zonedInstant } from '../domain/time-zone';
import type { ProgramService } from './program-service';
import { TIER_DISCOUNT_KEY_PREFIXES } from './tier-discount-service';
import type { TierService, TierStatus } from './tier-service';

export const HISTORY_PAGE_SIZE = 20;
export const EXPIRY_WINDOW_DAYS = 30;
const TIER_CHANGES_SHOWN = 5;
/** Release dates of pending points read for the tab. */
const PENDING_DATES_READ = 50;
/** Expiry dates shown on the tab. */
const EXPIRY_DATES_SHOWN = 3;

/** The history's kind filter, as a member thinks of entries, and the ledger kinds behind each. */
export const HISTORY_KINDS = {
  earned: ['earn', 'bonus'],
  spent: ['redeem'],
  expired: ['expire'],
  adjusted: ['adjust', 'reverse'],
} as const satisfies Record<string, readonly LedgerKind[]>;
export type HistoryKind = keyof typeof HISTORY_KINDS;

/** The days a history filter may name, as a date input writes them (STORABLE_DAYS). */
export const HISTORY_DAYS = STORABLE_DAYS;

/**
 * Which entries the history shows: a kind, and days `from` to `to` on the program's clock
 * (setting `time_zone`, the clock the tab's dates are read on), both included.
 */
export interface HistoryFilter {
  kind?: HistoryKind;
  /** The first day, named by its midnight UTC (a calendar day, not an instant). */
  from?: Date;
  /** The last day, named by its midnight UTC: entries of that whole day are in. */
  to?: Date;
}

/**
 * What a member's Rewards view shows, as plain data: no strings for people, no URLs. The
 * page presenter (web/client) and a JSON serializer both start from this.
 */
export interface RewardsData {
  /** The instant the data describes. */
  at: Date;
  /** The program's clock (setting `time_zone`): the tab's days, and deadlines' last days, are read on it. */
  timeZone: string;
  /** Null for a client the panel vouched for who has no events yet. */
  member: Member | null;
  balances: { available: number; pending: number; lifetime: number };
  /** Pending points by the date they become spendable. */
  pendingReleases: Array<{ points: number; availableAt: Date }>;
  /**
   * Points expiring within `withinDays`, and the first deadline of any of them; `upcoming` is
   * the next few last days (on the program's clock, the day before a deadline at midnight), each
   * with its first deadline and the points whose last day it is, however far ahead.
   */
  expiring: { points: number; firstExpiry: Date | null; withinDays: number; upcoming: Array<{ points: number; expiresAt: Date }> };
  /** Whether the member's currency earns points and counts towards tiers (null currency: not known yet). */
  currency: { code: string | null; earns: boolean; countsForTiers: boolean; earning: string[] };
  /** The program's own language: where program text (tier names, perks, labels) falls back to. */
  defaultLanguage: string;
  /** What each action rule calls its action, by the ledger `rule` of its awards: the history names actions with it. */
  actionNames: Record<string, ActionName>;
  history: {
    filter: HistoryFilter;
    /** Newest first, at most HISTORY_PAGE_SIZE. */
    entries: LedgerEntry[];
    /** The cursor this page was read from (entries older than it); null for the newest page. */
    before: number | null;
    /** The cursor of the next older page, or null when this page is the oldest. */
    olderCursor: number | null;
  };
  tier: {
    status: TierStatus;
    changes: TierChange[];
    /** Below the current tier's threshold since then; keeps the tier until `keepUntil` (grace). */
    belowSince: Date | null;
    keepUntil: Date | null;
    /** A suspended service stops the grace clock: `keepUntil` then moves on with each day suspended. */
    gracePaused: boolean;
    /**
     * Tier discounts that reached the panel for invoices paid this calendar year (UTC), per
     * currency: the discount lines (or cashback credits) the outbox sent for them.
     */
    savedThisYear: Money[];
  };
  /** The earning rules in force for this member now, and how long points live. */
  rules: { lines: RuleLine[]; expiry: ExpiryPolicy };
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

  /**
   * What the client's pages choose their language by, without the rest of the view: for a page
   * about something else (an error page) that must still speak the tab's language.
   */
  async languageOf(clientId: string): Promise<{ memberLocale: string | null; defaultLanguage: string }> {
    const [program, member] = await Promise.all([this.program.current(), this.db.repos.members.findByPanelClientId(clientId)]);
    return { memberLocale: member?.locale ?? null, defaultLanguage: program.defaultLanguage };
  }

  async forClient(clientId: string, options: { before?: number; filter?: HistoryFilter } = {}): Promise<RewardsData> {
    const at = this.clock();
    const program = await this.program.current();
    const filter = options.filter ?? {};
    const member = await this.db.repos.members.findByPanelClientId(clientId);
    if (!member) {
      const status = await this.tiers.status(null);
      return {
        at,
        timeZone: program.timeZone,
        member: null,
        balances: { available: 0, pending: 0, lifetime: 0 },
        pendingReleases: [],
        expiring: { points: 0, firstExpiry: null, withinDays: EXPIRY_WINDOW_DAYS, upcoming: [] },
        currency: currencyFacts(program, status, null),
        defaultLanguage: program.defaultLanguage,
        actionNames: actionNames(program.rules),
        history: { filter, entries: [], before: options.before ?? null, olderCursor: null },
        tier: { status, changes: [], belowSince: null, keepUntil: null, gracePaused: false, savedThisYear: [] },
        rules: this.rulesInForce(program, null, null, at),
        services: [],
      };
    }
    const windowEnd = new Date(at.getTime() + EXPIRY_WINDOW_DAYS * 86_400_000);
    const yearStart = new Date(Date.UTC(at.getUTCFullYear(), 0, 1));
    const [page, lots, tierStatus, tierChanges, saved, services] = await Promise.all([
      this.db.repos.ledger.pageForMember(member.id, {
        beforeId: options.before,
        limit: HISTORY_PAGE_SIZE,
        ...(filter.kind && { kinds: HISTORY_KINDS[filter.kind] }),
        ...(filter.from && { from: dayStart(filter.from, 0, program.timeZone) }),
        ...(filter.to && { until: dayStart(filter.to, 1, program.timeZone) }),
      }),
      this.db.repos.lots.tabSummary(member.id, {
        now: at,
        windowEnd,
        expiryDays: EXPIRY_DATES_SHOWN,
        pendingDates: member.pointsPending > 0 ? PENDING_DATES_READ : 0,
        utcOffsetMs: utcOffset(at, program.timeZone),
      }),
      this.tiers.status(member),
      this.db.repos.tiers.changesFor(member.id, TIER_CHANGES_SHOWN),
      this.tierDiscountsSince(member.id, yearStart, at),
      member.servicesActive > 0 ? this.db.repos.services.forMember(member.id) : Promise.resolve([]),
    ]);
    const { expiring, pending } = lots;
    const released = withDueReleased(member, pending.due);
    const last = page.entries[page.entries.length - 1];
    const belowSince = tierStatus.tier && member.tierId === tierStatus.tier.id ? member.tierBelowSince : null;
    return {
      at,
      timeZone: program.timeZone,
      member: released,
      balances: { available: released.pointsAvailable, pending: released.pointsPending, lifetime: released.pointsLifetime },
      pendingReleases: pending.upcoming,
      expiring: { points: expiring.points, firstExpiry: expiring.firstExpiry, withinDays: EXPIRY_WINDOW_DAYS, upcoming: expiring.upcoming },
      currency: currencyFacts(program, tierStatus, member.currency),
      defaultLanguage: program.defaultLanguage,
      actionNames: actionNames(program.rules),
      history: { filter, entries: page.entries, before: options.before ?? null, olderCursor: page.hasOlder && last ? last.id : null },
      tier: {
        status: tierStatus,
        changes: tierChanges,
        belowSince,
        // As the tier review will judge it: the grace clock stands still while a service is suspended.
        keepUntil: graceEndsAt({ belowSince, suspendedSince: member.suspendedSince, at, graceDays: tierStatus.settings.graceDays }),
        gracePaused: belowSince !== null && member.servicesSuspended > 0,
        savedThisYear: saved,
      },
      rules: this.rulesInForce(program, member.currency, tierStatus.tier?.name ?? null, at),
      services: streaks(program, services, at),
    };
  }

  /**
   * What the member's tier discount saved them on invoices paid in [from, to): the discount
   * actions (a line on the invoice, or cashback) that reached the panel, summed per currency.
   * Pending or failed actions saved nothing yet, so they don't count.
   */
  private async tierDiscountsSince(memberId: number, from: Date, to: Date): Promise<Money[]> {
    const { line, cashback } = TIER_DISCOUNT_KEY_PREFIXES;
    const sums = new Map<string, number>();
    for (const payload of await this.db.repos.invoices.sentActionsForPaid(memberId, from, to, [line, cashback])) {
      const amount = (payload as { amount?: Partial<Money> } | null)?.amount;
      if (typeof amount?.currency !== 'string' || typeof amount.minor !== 'number') continue;
      sums.set(amount.currency, (sums.get(amount.currency) ?? 0) + amount.minor);
    }
    return [...sums].map(([currency, minor]) => ({ currency, minor }));
  }

  /**
   * Generated from the rules in force, so the view never describes rules that aren't. A
   * client whose currency isn't known yet sees the base rate of every currency.
   */
  private rulesInForce(program: Program, currency: string | null, tier: string | null, at: Date): RewardsData['rules'] {
    const lines: RuleLine[] = currency === null ? allBaseRates(program, at) : [];
    lines.push(...describeRules(program, currency, at, { tier }));
    return { lines, expiry: program.expiry };
  }
}

/**
 * The first instant of a filter's day (named by its midnight UTC) `plus` days on, on the
 * program's clock; never past what the database stores, so the end of 31 December 9999 still
 * bounds a query on MySQL.
 */
function dayStart(day: Date, plus: number, timeZone: string): Date {
  return storableBound(zonedInstant({ year: day.getUTCFullYear(), month: day.getUTCMonth(), day: day.getUTCDate() + plus }, timeZone));
}

/**
 * The member as the release job will leave them: pending points past their refund window
 * (`due`) shown as spendable, as the job's plan moves them (a debt is paid from them, which
 * moves none of them out of the balance). Computed from a plain read, so a view never takes the
 * member's row lock or writes (DESIGN §10 "Reads must not lock"); the `release` entry itself is
 * written by the job or the member's next write.
 */
function withDueReleased(member: Member, due: number): Member {
  return due > 0 ? { ...member, pointsAvailable: member.pointsAvailable + due, pointsPending: member.pointsPending - due } : member;
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

/** Whether a currency earns points and counts towards tiers, and which currencies earn. */
function currencyFacts(program: Program, status: TierStatus, code: string | null): RewardsData['currency'] {
  const earning = Object.keys(program.earnRates).sort();
  if (code === null) return { code, earns: true, countsForTiers: true, earning };
  return {
    code,
    earns: program.earnRates[code] !== undefined,
    countsForTiers: toQualifying({ currency: code, minor: 10 ** (currencyDigits(code) ?? 2) }, status.settings) !== null,
    earning,
  };
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
