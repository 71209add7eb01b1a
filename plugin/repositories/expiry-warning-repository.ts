import type { Knex } from 'knex';
import { insertOrDuplicate } from './insert-or-duplicate';
import { LOTS } from './lot-repository';
import { toDate, toInt } from './row-values';

export const EXPIRY_WARNINGS = 'loyalty_expiry_warnings';

export interface WarnableLot {
  id: number;
  memberId: number;
  remaining: number;
  expiresAt: Date;
}

/**
 * Which lots a member has been warned about, per threshold (days before expiry). A lot is due
 * a warning at threshold T once it expires within T days; the job writes a row for every
 * threshold a lot has reached at once, so "warned at the smallest threshold it has reached"
 * means "nothing more to say about it today".
 */
export class ExpiryWarningRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * The job's work list: spendable lots with points left expiring in (now, now + max T], not
   * yet warned at the smallest threshold they have reached, in (expires_at, id) order after
   * `after`, along the expires_at index. The scan covers the warning window, not the history.
   */
  async due(now: Date, thresholds: readonly number[], after: { expiresAt: Date; id: number } | null, limit: number): Promise<WarnableLot[]> {
    const sorted = [...thresholds].sort((a, b) => a - b);
    const max = sorted[sorted.length - 1];
    if (max === undefined) return [];
    const reached = this.db.raw(
      `CASE ${sorted.map(() => 'WHEN l.expires_at <= ? THEN ?').join(' ')} END`,
      sorted.flatMap((t) => [until(now, t), t]),
    );
    const q = this.db(`${LOTS} as l`)
      .select('l.id', 'l.member_id', 'l.remaining', 'l.expires_at')
      .where('l.expires_at', '>', now)
      .andWhere('l.expires_at', '<=', until(now, max))
      .andWhere('l.remaining', '>', 0)
      .andWhere('l.pending', false)
      .whereNotExists(this.db(`${EXPIRY_WARNINGS} as w`).select(this.db.raw('1')).whereRaw('w.lot_id = l.id').andWhere('w.threshold_days', '=', reached));
    if (after) q.andWhere((w) => w.where('l.expires_at', '>', after.expiresAt).orWhere((e) => e.where('l.expires_at', '=', after.expiresAt).andWhere('l.id', '>', after.id)));
    const rows = await q.orderBy([{ column: 'l.expires_at' }, { column: 'l.id' }]).limit(limit);
    return rows.map(toWarnable);
  }

  /** One member's spendable lots with points left expiring in (now, now + days]. */
  async memberLotsWithin(memberId: number, now: Date, days: number): Promise<WarnableLot[]> {
    const rows = await this.db(LOTS)
      .select('id', 'member_id', 'remaining', 'expires_at')
      .where({ member_id: memberId, pending: false })
      .andWhere('remaining', '>', 0)
      .andWhere('expires_at', '>', now)
      .andWhere('expires_at', '<=', until(now, days))
      .orderBy([{ column: 'expires_at' }, { column: 'id' }]);
    return rows.map(toWarnable);
  }

  /** Records one warning; false when it was recorded before (the primary key holds it once). */
  async record(lotId: number, thresholdDays: number, memberId: number, now: Date): Promise<boolean> {
    const inserted = await insertOrDuplicate(this.db(EXPIRY_WARNINGS).insert({ lot_id: lotId, threshold_days: thresholdDays, member_id: memberId, warned_at: now }));
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
  return { id: toInt(r.id), memberId: toInt(r.member_id), remaining: toInt(r.remaining), expiresAt: toDate(r.expires_at) };
}
