import type { Knex } from 'knex';
import { LEDGER } from './ledger-repository';
import { MEMBERS } from './member-repository';
import { toInt } from './row-values';

/** A month of one member's ledger, as the statement shows it. */
export interface MonthSummary {
  /** Points earned and given (earn, bonus). */
  earned: number;
  /** Points redeemed, as a positive number. */
  spent: number;
  /** Points that expired. */
  expired: number;
}

export class StatementRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * Members who get the monthly statement, in id order after `afterId`: those who opted in,
   * and, when the program's default is to send, those who never chose. Members without an
   * email address are left out (there is nowhere to send it).
   */
  async recipients(defaultOptIn: boolean, afterId: number, limit: number): Promise<number[]> {
    const q = this.db(MEMBERS).select('id').where('id', '>', afterId).andWhere('status', 'active').whereNotNull('email');
    if (defaultOptIn) q.andWhere((w) => w.where('statements_opt_in', true).orWhereNull('statements_opt_in'));
    else q.andWhere('statements_opt_in', true);
    const rows = await q.orderBy('id').limit(limit);
    return rows.map((r: Record<string, unknown>) => toInt(r.id));
  }

  /** The member's own choice; null when they never made one. */
  async optIn(memberId: number): Promise<boolean | null> {
    const row = await this.db(MEMBERS).where({ id: memberId }).first('statements_opt_in');
    if (!row || row.statements_opt_in === null || row.statements_opt_in === undefined) return null;
    return Boolean(toInt(row.statements_opt_in));
  }

  async setOptIn(memberId: number, optIn: boolean, now: Date): Promise<boolean> {
    const n = await this.db(MEMBERS).where({ id: memberId }).update({ statements_opt_in: optIn, updated_at: now });
    return n === 1;
  }

  /**
   * Earned, spent and expired points of a member's ledger in [from, to). Spent is net of what
   * failed and cancelled redemptions gave back (their `reverse` entries, whose reference is the
   * redemption's), as the member never had those rewards.
   */
  async summary(memberId: number, from: Date, to: Date): Promise<MonthSummary> {
    const rows = await this.db(LEDGER)
      .select('kind')
      .sum({ points: 'delta' })
      .where({ member_id: memberId })
      .andWhere('created_at', '>=', from)
      .andWhere('created_at', '<', to)
      .andWhere((w) => w.whereIn('kind', ['earn', 'bonus', 'redeem', 'expire']).orWhere((r) => r.where('kind', 'reverse').andWhere('reference', 'like', 'redemption:%')))
      .groupBy('kind');
    const by = new Map(rows.map((r: Record<string, unknown>) => [String(r.kind), toInt(r.points)]));
    return {
      earned: (by.get('earn') ?? 0) + (by.get('bonus') ?? 0),
      spent: Math.max(0, 0 - (by.get('redeem') ?? 0) - (by.get('reverse') ?? 0)),
      expired: 0 - (by.get('expire') ?? 0),
    };
  }
}
