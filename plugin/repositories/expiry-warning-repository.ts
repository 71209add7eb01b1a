import type { Knex } from 'knex';
import { insertOrDuplicate } from './insert-or-duplicate';
import { EXPIRING_INDEX, lotsThrough, MEMBER_EXPIRING_INDEX } from './lot-repository';
import { toDate, toInt } from './row-values';

export const EXPIRY_WARNINGS = 'loyalty_expiry_warnings';

export interface WarnableLot {
  id: number;
  memberId: number;
  remaining: number;
  expiresAt: Date;
}

/**
 * Which lots a member has been warned about, per deadline and threshold (days before expiry).
 * A lot is due a warning at threshold T once it expires within T days; the job writes a row for
 * every threshold a lot has reached at once, so "warned at the smallest threshold it has
 * reached, for the deadline it has now" means "nothing more to say about it today". A lot moved
 * to a new deadline (the inactivity policy) has no row for it yet, so it is due again.
 */
export class ExpiryWarningRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * The job's work list: spendable lots with points left expiring in (now, now + max T], not
   * yet warned at the smallest threshold they have reached for their current deadline, in
   * (expires_at, id) order after `after`. Read along the (expiring_at, id) index, which holds
   * open lots only, so neither spent lots nor the history are read; each lot in the window costs
   * one primary-key probe of the warnings.
   */
  async due(now: Date, thresholds: readonly number[], after: { expiresAt: Date; id: number } | null, limit: number): Promise<WarnableLot[]> {
    const q = this.dueQuery(now, thresholds);
    if (!q) return [];
    q.select('l.id', 'l.member_id', 'l.remaining', 'l.expiring_at');
    // One index range read in order, the rows at `after` itself up to its id filtered out (as
    // LotRepository.dueForExpiry: an OR of the two keyset cases reads two ranges and sorts).
    if (after) q.andWhere('l.expiring_at', '>=', after.expiresAt).andWhereNot((w) => w.where('l.expiring_at', '=', after.expiresAt).andWhere('l.id', '<=', after.id));
    const rows = await q.orderBy([{ column: 'l.expiring_at' }, { column: 'l.id' }]).limit(limit);
    return rows.map(toWarnable);
  }

  /** How many lots `due` has in all: the same range of the same index, for the job's progress. */
  async countDue(now: Date, thresholds: readonly number[]): Promise<number> {
    const row = await this.dueQuery(now, thresholds)?.count({ n: '*' }).first();
    return toInt(row?.n);
  }

  private dueQuery(now: Date, thresholds: readonly number[]): Knex.QueryBuilder | null {
    const sorted = [...thresholds].sort((a, b) => a - b);
    const max = sorted[sorted.length - 1];
    if (max === undefined) return null;
    const reached = this.db.raw(
      `CASE ${sorted.map(() => 'WHEN l.expiring_at <= ? THEN ?').join(' ')} END`,
      sorted.flatMap((t) => [until(now, t), t]),
    );
    return lotsThrough(this.db, EXPIRING_INDEX, 'l')
      .where('l.expiring_at', '>', now)
      .andWhere('l.expiring_at', '<=', until(now, max))
      .andWhere('l.pending', false)
      .whereNotExists(
        this.db(`${EXPIRY_WARNINGS} as w`)
          .select(this.db.raw('1'))
          .whereRaw('w.lot_id = l.id')
          .andWhereRaw('w.expires_at = l.expiring_at')
          .andWhere('w.threshold_days', '=', reached),
      );
  }

  /** One member's spendable lots with points left expiring in (now, now + days], soonest first; read by (member_id, expiring_at). */
  async memberLotsWithin(memberId: number, now: Date, days: number): Promise<WarnableLot[]> {
    const rows = await lotsThrough(this.db, MEMBER_EXPIRING_INDEX)
      .select('id', 'member_id', 'remaining', 'expiring_at')
      .where({ member_id: memberId, pending: false })
      .andWhere('expiring_at', '>', now)
      .andWhere('expiring_at', '<=', until(now, days))
      .orderBy([{ column: 'expiring_at' }, { column: 'id' }]);
    return rows.map(toWarnable);
  }

  /** Records one warning; false when it was recorded before (the primary key holds it once). */
  async record(warning: { lotId: number; expiresAt: Date; thresholdDays: number; memberId: number }, now: Date): Promise<boolean> {
    const inserted = await insertOrDuplicate(
      this.db(EXPIRY_WARNINGS).insert({ lot_id: warning.lotId, expires_at: warning.expiresAt, threshold_days: warning.thresholdDays, member_id: warning.memberId, warned_at: now }),
    );
    return inserted !== null;
  }

  async countFor(memberId: number): Promise<number> {
    const row = await this.db(EXPIRY_WARNINGS).where({ member_id: memberId }).count({ n: '*' }).first();
    return toInt(row?.n);
  }
}

function until(now: Date, days: number): Date {
  return new Date(now.getTime() + days * 86_400_000);
}

function toWarnable(r: Record<string, unknown>): WarnableLot {
  return { id: toInt(r.id), memberId: toInt(r.member_id), remaining: toInt(r.remaining), expiresAt: toDate(r.expiring_at) };
}
