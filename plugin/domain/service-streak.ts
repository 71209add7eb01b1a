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
 * Order: renewals are counted once each, in due-date order. A renewal whose due date is not after
 * the last counted one (or, without due dates, whose instant is not after the last counted
 * renewal's) is a late delivery of an older renewal: it is recorded and changes nothing.
 */

export interface StreakState {
  streak: number;
  /** Months of service the renewals in the streak cover (by billing cycle). */
  streakMonths: number;
  lastDueDate: string | null;
  lastRenewedAt: Date | null;
}

export interface Renewal {
  occurredAt: Date;
  dueDate?: string;
  billingCycle?: string;
}

export type StreakStep = { kind: 'stale' } | { kind: 'counted'; onTime: boolean; next: StreakState };

const DAY_MS = 86_400_000;

export function isOnTime(occurredAt: Date, dueDate: string | undefined, graceDays: number): boolean {
  if (dueDate === undefined) return true;
  const endOfDue = Date.parse(`${dueDate}T00:00:00Z`) + (1 + graceDays) * DAY_MS;
  return occurredAt.getTime() < endOfDue;
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

export function nextStreak(state: StreakState, renewal: Renewal, graceDays: number): StreakStep {
  if (renewal.dueDate !== undefined && state.lastDueDate !== null && renewal.dueDate <= state.lastDueDate) return { kind: 'stale' };
  if (renewal.dueDate === undefined && state.lastRenewedAt !== null && renewal.occurredAt <= state.lastRenewedAt) return { kind: 'stale' };
  const onTime = isOnTime(renewal.occurredAt, renewal.dueDate, graceDays);
  const lastRenewedAt = state.lastRenewedAt && state.lastRenewedAt > renewal.occurredAt ? state.lastRenewedAt : renewal.occurredAt;
  return {
    kind: 'counted',
    onTime,
    next: {
      streak: onTime ? state.streak + 1 : 0,
      streakMonths: onTime ? state.streakMonths + cycleMonths(renewal.billingCycle) : 0,
      lastDueDate: renewal.dueDate ?? state.lastDueDate,
      lastRenewedAt,
    },
  };
}
