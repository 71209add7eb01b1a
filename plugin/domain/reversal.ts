/**
 * Pure rules for taking points back (refunds, chargebacks, penalties) and for releasing pending
 * points, with debt netting. No I/O: the ledger service applies the plans.
 */
import type { InvoiceRecord } from './invoice-record';

/**
 * How many of an invoice's points should stand reversed once `refundedMinor` of its
 * `totalMinor` has been refunded: proportional, floor-rounded, never more than it earned; a
 * chargeback takes everything.
 */
export function reversalTarget(i: { earned: number; totalMinor: number; refundedMinor: number; chargedBack: boolean }): number {
  if (i.chargedBack) return i.earned;
  if (i.refundedMinor <= 0) return 0;
  if (i.totalMinor <= 0 || i.refundedMinor >= i.totalMinor) return i.earned;
  return Number((BigInt(i.earned) * BigInt(i.refundedMinor)) / BigInt(i.totalMinor));
}

/**
 * How many of the points a `service.upgraded` earned stand reversed by the invoice that paid for
 * the upgrade: the share its refunds call for (all of them after a chargeback), and all of them
 * while its payment stands reversed (`invoice.reversed`: unpaid again, until a re-payment).
 */
export function upgradeReversalTarget(
  points: number,
  invoice: { paidAt: Date | null; reversals: number; totalMinor: number; refundedMinor: number; chargedBack: boolean },
): number {
  if (invoice.paidAt === null) return invoice.reversals > 0 ? points : 0;
  return reversalTarget({ earned: points, totalMinor: invoice.totalMinor, refundedMinor: invoice.refundedMinor, chargedBack: invoice.chargedBack });
}

/**
 * What of one award entry of an invoice still stands, for the cap of the rule that gave it (caps
 * count net: a reversed award gives its cap room back, so a re-payment earns again). Nothing
 * once the payment it came from was reversed (`invoice.reversed`: entries up to the invoice's
 * `reversedThroughLedgerId`, or all of them while it stands unpaid); else the award less the
 * share of it the invoice's refunds take back (all of it after a chargeback), that share
 * floored, so a cap never counts less than stands. An entry without an invoice row stands whole.
 */
export function standingAward(
  award: { id: number; points: number },
  invoice: Pick<InvoiceRecord, 'paidAt' | 'reversedThroughLedgerId' | 'totalMinor' | 'refundedMinor' | 'chargedBack'> | null,
): number {
  if (invoice === null) return award.points;
  if (invoice.paidAt === null) return 0;
  if (invoice.reversedThroughLedgerId !== null && award.id <= invoice.reversedThroughLedgerId) return 0;
  return award.points - reversalTarget({ earned: award.points, totalMinor: invoice.totalMinor, refundedMinor: invoice.refundedMinor, chargedBack: invoice.chargedBack });
}

export interface DrawableLot {
  id: number;
  ledgerId: number;
  remaining: number;
  pending: boolean;
  expiresAt: Date | null;
}

export interface DrawPlan {
  draws: Array<{ lotId: number; take: number; remainingAfter: number; pending: boolean }>;
  fromPending: number;
  fromAvailable: number;
  /** Points already spent: they become a debt or are written off, as the program says. */
  shortfall: number;
}

/**
 * Which lots a take-back draws first. `pending_first` is a refund's order (issue 3: "pending
 * points first, then available"): a refund never touches what the member can already spend
 * while they hold pending points, and among each kind the invoice's own lots go first.
 * `own_first` draws the invoice's own lots first even once released, for a chargeback or a
 * reversal: it undoes the payment, and drawing another invoice's pending lot instead would leave
 * the undone payment's points spendable while that one's refund window is still open.
 * After those: pending points newest first, then available points in the order they would be
 * spent (soonest expiry, then oldest).
 */
export type DrawOrder = 'pending_first' | 'own_first';

export function planDraw(lots: DrawableLot[], points: number, ownLedgerIds: ReadonlySet<number> = new Set(), order: DrawOrder = 'own_first'): DrawPlan {
  const never = Number.MAX_SAFE_INTEGER;
  const sorted = [...lots].filter((l) => l.remaining > 0).sort((a, b) => {
    const own = Number(ownLedgerIds.has(b.ledgerId)) - Number(ownLedgerIds.has(a.ledgerId));
    if (order === 'own_first' && own !== 0) return own;
    if (a.pending !== b.pending) return a.pending ? -1 : 1;
    if (own !== 0) return own;
    if (a.pending) return b.id - a.id;
    const ea = a.expiresAt?.getTime() ?? never;
    const eb = b.expiresAt?.getTime() ?? never;
    return ea !== eb ? ea - eb : a.id - b.id;
  });
  const plan: DrawPlan = { draws: [], fromPending: 0, fromAvailable: 0, shortfall: 0 };
  let left = points;
  for (const lot of sorted) {
    if (left === 0) break;
    const take = Math.min(lot.remaining, left);
    left -= take;
    plan.draws.push({ lotId: lot.id, take, remainingAfter: lot.remaining - take, pending: lot.pending });
    if (lot.pending) plan.fromPending += take;
    else plan.fromAvailable += take;
  }
  plan.shortfall = left;
  return plan;
}

/** Debt is a negative available balance; new spendable points pay it off first. */
export function debtOf(pointsAvailable: number): number {
  return Math.max(0, -pointsAvailable);
}

/**
 * Releasing pending lots: each becomes spendable, less whatever of it pays off the debt.
 * Returns the lots' new remaining and the points released.
 */
export function planRelease(lots: Array<{ id: number; remaining: number }>, debt: number): {
  lots: Array<{ lotId: number; remainingAfter: number }>;
  released: number;
} {
  let owed = debt;
  let released = 0;
  const out = lots.map((lot) => {
    const netted = Math.min(lot.remaining, owed);
    owed -= netted;
    released += lot.remaining;
    return { lotId: lot.id, remainingAfter: lot.remaining - netted };
  });
  return { lots: out, released };
}
