import type { Knex } from 'knex';
import type { Lot, NewLot } from '../domain/lot';
import { toDate, toDateOrNull, toInt } from './row-values';

export const LOTS = 'loyalty_lots';

function toLot(row: Record<string, unknown>): Lot {
  return {
    id: toInt(row.id),
    ledgerId: toInt(row.ledger_id),
    points: toInt(row.points),
    remaining: toInt(row.remaining),
    pending: Boolean(toInt(row.pending)),
    earnedAt: toDate(row.earned_at),
    availableAt: toDate(row.available_at),
    expiresAt: toDateOrNull(row.expires_at),
  };
}

/**
 * Lots are only changed by code holding the member's row lock (MemberAccount), so
 * reads here need no lock of their own.
 */
export class LotRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async insert(lot: NewLot): Promise<number> {
    const [id] = await this.db(LOTS).insert({
      member_id: lot.memberId,
      ledger_id: lot.ledgerId,
      points: lot.points,
      remaining: lot.remaining,
      pending: lot.pending,
      earned_at: lot.earnedAt,
      available_at: lot.availableAt,
      expires_at: lot.expiresAt,
    });
    return toInt(id);
  }

  async setRemaining(id: number, remaining: number, pending: boolean): Promise<void> {
    await this.db(LOTS).where({ id }).update({ remaining, pending });
  }

  /** Pending lots whose refund window has passed, oldest first. */
  async dueForRelease(memberId: number, now: Date): Promise<Lot[]> {
    const rows = await this.db(LOTS)
      .where({ member_id: memberId, pending: true })
      .andWhere('available_at', '<=', now)
      .orderBy('id', 'asc');
    return rows.map(toLot);
  }

  /** Members with pending lots due by `now`: the release job's work list, in batches. */
  async membersWithDueLots(now: Date, limit: number): Promise<number[]> {
    const rows = await this.db(LOTS).distinct('member_id').where({ pending: true }).andWhere('available_at', '<=', now).limit(limit);
    return rows.map((r: Record<string, unknown>) => toInt(r.member_id));
  }

  /** Every lot with points left, for a reversal to draw from. */
  async withRemaining(memberId: number): Promise<Lot[]> {
    const rows = await this.db(LOTS).where({ member_id: memberId }).andWhere('remaining', '>', 0).orderBy('id', 'asc');
    return rows.map(toLot);
  }

  /** Pending points by release date, soonest first, for the Rewards tab. */
  async pendingByRelease(memberId: number): Promise<Array<{ points: number; availableAt: Date }>> {
    const rows = await this.db(LOTS)
      .where({ member_id: memberId, pending: true })
      .andWhere('remaining', '>', 0)
      .select('available_at')
      .sum({ points: 'remaining' })
      .groupBy('available_at')
      .orderBy('available_at', 'asc')
      .limit(50);
    return rows.map((r: Record<string, unknown>) => ({ points: toInt(r.points), availableAt: toDate(r.available_at) }));
  }

  /** Points still unspent and spendable that expire in [from, to), and the first date they do. */
  async expiringBetween(memberId: number, from: Date, to: Date): Promise<{ points: number; firstExpiry: Date | null }> {
    const row = await this.db(LOTS)
      .where({ member_id: memberId })
      .andWhere('remaining', '>', 0)
      .andWhere('expires_at', '>=', from)
      .andWhere('expires_at', '<', to)
      .sum({ points: 'remaining' })
      .min({ first: 'expires_at' })
      .first();
    return { points: toInt(row?.points), firstExpiry: toDateOrNull(row?.first) };
  }

  /**
   * The next lots to expire from `from` on, soonest first (at most `limit` lots): the Rewards
   * tab groups them by date to show the next expiry dates and amounts.
   */
  async nextExpiring(memberId: number, from: Date, limit: number): Promise<Array<{ points: number; expiresAt: Date }>> {
    const rows = await this.db(LOTS)
      .where({ member_id: memberId })
      .andWhere('remaining', '>', 0)
      .andWhere('expires_at', '>=', from)
      .select('remaining', 'expires_at')
      .orderBy('expires_at', 'asc')
      .limit(limit);
    return rows.map((r: Record<string, unknown>) => ({ points: toInt(r.remaining), expiresAt: toDate(r.expires_at) }));
  }

  // --- Expiry (issue 8) ---

  /**
   * The expiry job's work list: spendable lots with points left and `expires_at <= until`,
   * in (expires_at, id) order after `after`, read along the expires_at index. Keyset paging
   * means each batch starts where the last one ended, never from the top.
   */
  async dueForExpiry(until: Date, after: { expiresAt: Date; id: number } | null, limit: number): Promise<Array<{ id: number; memberId: number; expiresAt: Date }>> {
    const q = this.db(LOTS)
      .select('id', 'member_id', 'expires_at')
      .where('expires_at', '<=', until)
      .andWhere('remaining', '>', 0)
      .andWhere({ pending: false });
    if (after) q.andWhere((w) => w.where('expires_at', '>', after.expiresAt).orWhere((e) => e.where('expires_at', '=', after.expiresAt).andWhere('id', '>', after.id)));
    const rows = await q.orderBy([{ column: 'expires_at' }, { column: 'id' }]).limit(limit);
    return rows.map((r: Record<string, unknown>) => ({ id: toInt(r.id), memberId: toInt(r.member_id), expiresAt: toDate(r.expires_at) }));
  }

  /** One member's spendable lots past expiry with points left; pending lots wait for their release. */
  async expiredFor(memberId: number, until: Date): Promise<Lot[]> {
    const rows = await this.db(LOTS)
      .where({ member_id: memberId, pending: false })
      .andWhere('remaining', '>', 0)
      .andWhere('expires_at', '<=', until)
      .orderBy('id', 'asc');
    return rows.map(toLot);
  }

  /** Empties lots in one statement (expiry takes a lot's whole remainder). */
  async empty(ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.db(LOTS).whereIn('id', ids).update({ remaining: 0 });
  }
}
