import type { Database } from '../db/database';
import { creditRates, liabilityMinor } from '../domain/liability';
import type { Tier } from '../domain/tiers';
import { wallTime, zonedInstant } from '../domain/time-zone';
import type { OutstandingByCurrency, RecentEntry } from '../repositories/report-repository';
import type { SettingsService } from './settings-service';

export interface PeriodTotals {
  /** [from, to) in the program time zone's calendar. */
  from: Date;
  to: Date;
  /** Σ of earn and bonus entries. */
  earned: number;
  /** Points spent on redemptions (one that failed and was given back still counts here; the give-back is a `reverse` entry). */
  redeemed: number;
  expired: number;
}

export interface CurrencyLiability extends OutstandingByCurrency {
  /** Available and pending points: what members may still redeem. */
  outstanding: number;
  /** Minor units at the credit conversion, or null when no credit reward pays in this currency. */
  liabilityMinor: number | null;
  rate: { minor: number; points: number } | null;
}

export interface Dashboard {
  at: Date;
  timeZone: string;
  members: number;
  currencies: CurrencyLiability[];
  thisMonth: PeriodTotals;
  lastMonth: PeriodTotals;
  redemptionsByState: Array<{ state: string; count: number }>;
  membersByTier: Array<{ tier: Tier | null; members: number }>;
  openActions: Array<{ action: string; state: string; count: number }>;
  recent: RecentEntry[];
}

const REDEMPTION_STATES = ['pending', 'applied', 'failed'] as const;
const RECENT = 15;

/**
 * The admin dashboard's figures: each one aggregate query (repositories/report-repository.ts),
 * read through the pool without locks; no per-member loop. Months are the program time zone's
 * (setting `time_zone`), as the jobs' periods are.
 */
export class DashboardService {
  constructor(
    private readonly db: Database,
    private readonly settings: SettingsService,
    private readonly clock: () => Date,
  ) {}

  async build(): Promise<Dashboard> {
    const at = this.clock();
    const { time_zone: timeZone } = await this.settings.snapshot();
    const reports = this.db.repos.reports;
    const now = wallTime(at, timeZone);
    const monthStart = (offset: number) => zonedInstant({ year: now.year, month: now.month + offset, day: 1 }, timeZone);
    const [members, outstanding, thisMonth, lastMonth, byState, byTier, openActions, recent, rewards, tiers] = await Promise.all([
      reports.memberCount(),
      reports.outstandingByCurrency(),
      this.period(monthStart(0), monthStart(1)),
      this.period(monthStart(-1), monthStart(0)),
      reports.redemptionsByState(),
      reports.membersByTier(),
      reports.openActions(),
      reports.recentEntries(RECENT),
      this.db.repos.rewards.list(),
      this.db.repos.tiers.list(),
    ]);
    const rates = creditRates(rewards, at);
    const currencies = outstanding.map((o): CurrencyLiability => {
      const rate = rates.get(o.currency) ?? null;
      const points = o.available + o.pending;
      return { ...o, outstanding: points, rate, liabilityMinor: rate ? liabilityMinor(points, rate) : null };
    });
    const states = [...new Set([...REDEMPTION_STATES, ...byState.keys()])];
    const tierById = new Map(tiers.map((t) => [t.id, t]));
    const membersByTier = [
      ...tiers.map((t) => ({ tier: t as Tier | null, members: byTier.find((b) => b.tierId === t.id)?.members ?? 0 })),
      { tier: null, members: byTier.filter((b) => b.tierId === null || !tierById.has(b.tierId)).reduce((s, b) => s + b.members, 0) },
    ];
    return {
      at,
      timeZone,
      members,
      currencies,
      thisMonth,
      lastMonth,
      redemptionsByState: states.map((state) => ({ state, count: byState.get(state) ?? 0 })),
      membersByTier,
      openActions,
      recent,
    };
  }

  private async period(from: Date, to: Date): Promise<PeriodTotals> {
    const [totals, returned] = await Promise.all([this.db.repos.reports.ledgerTotalsBetween(from, to), this.db.repos.reports.redemptionReturnsBetween(from, to)]);
    const sum = (kind: string) => totals.get(kind) ?? 0;
    // Net of the points failed and cancelled redemptions gave back: those rewards were never had.
    return { from, to, earned: sum('earn') + sum('bonus'), redeemed: Math.max(0, -sum('redeem') - returned), expired: Math.max(0, -sum('expire')) };
  }
}
