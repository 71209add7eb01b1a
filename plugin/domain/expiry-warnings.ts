/**
 * Expiry warnings (setting `expiry_warning_days`). Pure: the expiry-warnings job reads a
 * member's open lots, records what these functions say is due and emails what they sum.
 *
 * A warning is once per lot, threshold and deadline. The deadline is part of it because it can
 * move: under the inactivity policy every earning moves the member's open lots on, and a lot
 * warned about before it moved expires at the new date with the others, so it is warned again.
 */

const DAY_MS = 86_400_000;

/** One of the member's open lots the job read: spendable, with points left. */
export interface OpenLot {
  remaining: number;
  expiresAt: Date;
}

/** The thresholds (days before expiry) a lot expiring at `expiresAt` has reached at `now`. */
export function thresholdsReached(expiresAt: Date, now: Date, thresholds: readonly number[]): number[] {
  const daysLeft = (expiresAt.getTime() - now.getTime()) / DAY_MS;
  return thresholds.filter((t) => daysLeft <= t);
}

export interface WarningSummary {
  /** Points by deadline, soonest first: each the whole of what expires then. */
  lines: Array<{ points: number; expiresAt: Date }>;
  total: number;
}

/**
 * What an email about deadlines up to `through` (the latest it warns about) says: every open lot
 * expiring by then, summed by deadline, and their total. Not only the lots warned about now:
 * points already warned about expire at those dates too (a lot that joined a deadline warned
 * about before, under end of month or year, takes the whole deadline's points with it), and a
 * member told "10 points" when 130 go loses 120 without notice.
 */
export function warningSummary(open: readonly OpenLot[], through: Date): WarningSummary {
  const byDeadline = new Map<number, number>();
  let total = 0;
  for (const lot of open) {
    if (lot.remaining <= 0 || lot.expiresAt > through) continue;
    const at = lot.expiresAt.getTime();
    byDeadline.set(at, (byDeadline.get(at) ?? 0) + lot.remaining);
    total += lot.remaining;
  }
  const lines = [...byDeadline]
    .sort(([a], [b]) => a - b)
    .map(([at, points]) => ({ points, expiresAt: new Date(at) }));
  return { lines, total };
}
