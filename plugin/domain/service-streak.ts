import type { Money } from './money';

/**
 * Renewal streaks: consecutive on-time renewals of one service.
 *
 * On time, precisely: a renewal carries `service.due_date` (YYYY-MM-DD, the day the period it
 * renews was due, as the panel shows it; WHMCS `nextduedate` before the renewal). It is on time
 * when its `occurred_at` falls before the end of that UTC day plus the program's
 * `renewal_grace_days`: `occurred_at < due_date + 1 + grace days, 00:00Z`. Paying early is on
 * time. A renewal without `due_date` can't be judged late, so it counts as on time: panels that
 * know lateness send the field.
 *
 * Order: the streak is a function of the set of renewals received, not of the order they came
 * in (DESIGN invariant 1). Each renewed period is kept (loyalty_service_renewals) and the streak
 * is read from them in due-date order: by `period` (the due date, or the renewal's UTC day when
 * the panel sends none), then instant. A renewal that sorts after every other one extends the
 * count on the service's row; one that sorts before others replays the stretch of history it
 * lands in (`runsOf`). A period is renewed once: a second report of a due date already kept
 * (another event id) keeps the earlier instant, whichever of the two came first.
 *
 * Runs: late renewals cut the history into runs of on-time ones. A run is named by the due date
 * of the late renewal it follows ('' for the run that opens the history). Adding a renewal never
 * renames a run: an on-time one lengthens the run it lands in, a late one cuts it in two and
 * names the second part. So a streak bonus is named by its run, its rule and how many times the
 * rule is reached within the run (rules/lifecycle.ts), a name delivery order can't change.
 */

export interface StreakCounts {
  /** On-time renewals in a row. */
  streak: number;
  /** Months of service they cover (by billing cycle). */
  months: number;
}

/** Where a renewal sorts among its service's renewals: by period, then instant, then id (two reports of one instant). */
export interface RenewalPosition {
  id: number;
  period: string;
  renewedAt: Date;
}

/** One renewed period of a service, as kept. */
export interface RenewalRecord extends RenewalPosition {
  /** Null when the panel sent none: then `period` is the renewal's UTC day and it is on time. */
  dueDate: string | null;
  onTime: boolean;
  /** Months its billing cycle covers (`cycleMonths`). */
  months: number;
  /** The service's recurring price when renewed, for percentage rules. */
  amount: Money | null;
}

export type NewRenewal = Omit<RenewalRecord, 'id'>;

/** A run of on-time renewals, in order, named by the due date of the late renewal it follows ('' at the start). */
export interface StreakRun {
  after: string;
  renewals: RenewalRecord[];
}

const DAY_MS = 86_400_000;

export function isOnTime(occurredAt: Date, dueDate: string | undefined, graceDays: number): boolean {
  if (dueDate === undefined) return true;
  const endOfDue = Date.parse(`${dueDate}T00:00:00Z`) + (1 + graceDays) * DAY_MS;
  return occurredAt.getTime() < endOfDue;
}

/** The period a renewal renews, for its order: its due date, or the UTC day it happened without one. */
export function renewalPeriod(occurredAt: Date, dueDate: string | undefined): string {
  return dueDate ?? occurredAt.toISOString().slice(0, 10);
}

/** Whether `a` sorts before `b` (positions of two different renewals; a new one has no id yet and sorts last on a tie). */
export function sortsBefore(a: RenewalPosition, b: Omit<RenewalPosition, 'id'> & { id?: number }): boolean {
  if (a.period !== b.period) return a.period < b.period;
  if (a.renewedAt.getTime() !== b.renewedAt.getTime()) return a.renewedAt < b.renewedAt;
  return b.id === undefined || a.id < b.id;
}

/** Months one billing cycle covers: 0 for one-time, day and week cycles (they never add up to a month exactly). */
export function cycleMonths(cycle: string | undefined): number {
  switch (cycle) {
    case undefined:
    case 'one_time':
      return 0;
    case 'monthly':
      return 1;
    case 'quarterly':
      return 3;
    case 'semiannually':
      return 6;
    case 'annually':
      return 12;
    case 'biennially':
      return 24;
    case 'triennially':
      return 36;
  }
  const m = /^([1-9]\d{0,2})([dwmy])$/.exec(cycle);
  if (!m) return 0;
  const n = Number(m[1]);
  return m[2] === 'm' ? n : m[2] === 'y' ? n * 12 : 0;
}

/** The counts after one more renewal: on time adds it, late starts over. */
export function extendStreak(counts: StreakCounts, renewal: Pick<RenewalRecord, 'onTime' | 'months'>): StreakCounts {
  return renewal.onTime ? { streak: counts.streak + 1, months: counts.months + renewal.months } : { streak: 0, months: 0 };
}

/** The name of the run that follows a late renewal. */
export function runAfter(late: Pick<RenewalRecord, 'dueDate' | 'period'>): string {
  // A late renewal always has a due date (without one nothing is late); the period is the same day.
  return late.dueDate ?? late.period;
}

/**
 * Cuts renewals (in order, none late before them since the run named `first`) into runs: each
 * late renewal ends one and names the next. The first run is returned even when empty, so its
 * bonuses can be found to be no longer reached.
 */
export function runsOf(first: string, renewals: readonly RenewalRecord[]): StreakRun[] {
  const runs: StreakRun[] = [{ after: first, renewals: [] }];
  for (const r of renewals) {
    if (r.onTime) runs[runs.length - 1]?.renewals.push(r);
    else runs.push({ after: runAfter(r), renewals: [] });
  }
  return runs;
}

/** The counts at the end of a run. */
export function countsOf(run: StreakRun): StreakCounts {
  return run.renewals.reduce<StreakCounts>((c, r) => extendStreak(c, r), { streak: 0, months: 0 });
}
