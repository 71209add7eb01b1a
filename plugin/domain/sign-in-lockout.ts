/** The owner password's lockout: ADMIN_LOCKOUT_FAILURES wrong ones lock it for ADMIN_LOCKOUT_MINUTES. */
export interface LockoutRule {
  failures: number;
  minutes: number;
}

/**
 * An account's count of password checks not (yet) followed by a success, and when the count
 * is forgotten: the end of its window, or, once it reached the limit, of the lockout.
 */
export interface FailureCount {
  failures: number;
  until: Date | null;
}

export const NO_FAILURES: FailureCount = { failures: 0, until: null };

export type AttemptReservation =
  | { allowed: false; retryAfterSeconds: number }
  /** `attempt` is this check's place in the count; the one at the limit locks when it fails. */
  | { allowed: true; attempt: number; locks: boolean; next: FailureCount };

/**
 * Takes one password check from the count before the check runs, so that however many
 * sign-ins arrive together at most `rule.failures` passwords are ever compared per lockout:
 * each is a failure until it proves otherwise (a success then forgets the count). The first
 * check opens a window of `rule.minutes`; the check that fills the count moves the window's end
 * to `rule.minutes` from now, the lockout's length.
 */
export function reserveAttempt(count: FailureCount, now: Date, rule: LockoutRule): AttemptReservation {
  const current = count.until !== null && count.until > now ? count : NO_FAILURES;
  if (current.failures >= rule.failures && current.until !== null) {
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((current.until.getTime() - now.getTime()) / 1000)) };
  }
  const attempt = current.failures + 1;
  const locks = attempt >= rule.failures;
  const until = locks || current.until === null ? new Date(now.getTime() + rule.minutes * 60_000) : current.until;
  return { allowed: true, attempt, locks, next: { failures: attempt, until } };
}

/** Whether a count still holds the account locked at `now` (a success may have cleared it meanwhile). */
export function isLocked(count: FailureCount, now: Date, rule: LockoutRule): boolean {
  return count.failures >= rule.failures && count.until !== null && count.until > now;
}
