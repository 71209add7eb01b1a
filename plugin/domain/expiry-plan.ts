/**
 * Expiring a member's lots past their date. Pure: MemberAccount.expire applies the plan.
 *
 * With the balance invariants (available + pending = Σ ledger, and max(available, 0) + pending
 * = Σ lots remaining, pending lots summing to pending), spendable lots hold exactly
 * max(available, 0). So expiring them never takes available below zero, and a member in debt
 * has no spendable lot left to expire. The cap below keeps that promise even on data that
 * breaks the invariant: expiry never creates or deepens a debt.
 */
export interface ExpiryPlan {
  /** Lots to empty: every due lot loses its whole remainder. */
  lotIds: number[];
  /** What the lots held. */
  fromLots: number;
  /** Points the ledger entry takes from the available balance. */
  points: number;
}

export function planExpiry(due: ReadonlyArray<{ id: number; remaining: number; pending: boolean }>, pointsAvailable: number): ExpiryPlan {
  const lots = due.filter((l) => l.remaining > 0 && !l.pending);
  const fromLots = lots.reduce((sum, l) => sum + l.remaining, 0);
  return { lotIds: lots.map((l) => l.id), fromLots, points: Math.min(fromLots, Math.max(0, pointsAvailable)) };
}
