import type { Knex } from 'knex';
import type { Member } from '../domain/member';
import { selectIn } from './bulk';
import { LEDGER } from './ledger-repository';
import { LOTS } from './lot-repository';
import { MEMBERS } from './member-repository';
import { toInt } from './row-values';

/** (member_id, id): a member's entries in the order their running balance was written. */
const LEDGER_MEMBER_INDEX = 'loyalty_ledger_member_idx';

/** A month of one member's ledger, as the statement shows it. */
export interface MonthSummary {
  /** Points earned and given (earn, bonus). */
  earned: number;
  /** Points redeemed, as a positive number. */
  spent: number;
  /** Points that expired. */
  expired: number;
}

/** A member's points as the statement shows them: spendable, and still in their refund window. */
export type StatementBalances = Pick<Member, 'pointsAvailable' | 'pointsPending'>;

export class StatementRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * Members who get the monthly statement, in id order after `afterId`: those who opted in,
   * and, when the program's default is to send, those who never chose. Members without an
   * email address are left out (there is nowhere to send it).
   */
  async recipients(defaultOptIn: boolean, afterId: number, limit: number): Promise<number[]> {
    const rows = await this.recipientsAfter(defaultOptIn, afterId).select('id').orderBy('id').limit(limit);
    return rows.map((r: Record<string, unknown>) => toInt(r.id));
  }

  /**
   * How many `recipients` has after `afterId`, for the job's progress. The choice and the address
   * are not indexed, so this reads the members past `afterId` once, as the walk itself does: a
   * monthly job that renders an email per member can afford it.
   */
  async countRecipients(defaultOptIn: boolean, afterId: number): Promise<number> {
    const row = await this.recipientsAfter(defaultOptIn, afterId).count({ n: '*' }).first();
    return toInt(row?.n);
  }

  private recipientsAfter(defaultOptIn: boolean, afterId: number): Knex.QueryBuilder {
    const q = this.db(MEMBERS).where('id', '>', afterId).andWhere('status', 'active').whereNotNull('email');
    if (defaultOptIn) q.andWhere((w) => w.where('statements_opt_in', true).orWhereNull('statements_opt_in'));
    else q.andWhere('statements_opt_in', true);
    return q;
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

  /**
   * Each member's points as their ledger left them before `before`: the running balance of
   * their newest entry written before then (none: 0). One statement per slice of members, and
   * per member a walk back along their (member_id, id) index from their newest entry to the
   * first one before `before`, so the cost follows the entries they made since, not the table.
   * Reads without a lock. Members with no row are left out.
   *
   * The pending part is the entry's `pending_after`. An entry from before that column has none:
   * when it is still the member's newest, their balances haven't changed since, so the member
   * row tells it; otherwise it is estimated from their lots (`pendingEstimate`).
   */
  async closingBalances(memberIds: readonly number[], before: Date): Promise<Map<number, StatementBalances>> {
    const mysql = this.db.client.config.client === 'mysql2';
    // Named, as the lot reads name theirs: the created_at index would answer "before then" by
    // reading every member's history, and the other member indexes don't give the newest first.
    const ledger = mysql ? '?? AS l FORCE INDEX (??)' : '?? AS l INDEXED BY ??';
    const heads: Array<Record<string, unknown>> = await selectIn(memberIds, (slice) =>
      this.db(`${MEMBERS} as m`)
        .whereIn('m.id', slice)
        .select(
          'm.id',
          'm.points_pending',
          this.db.raw(`(SELECT l.id FROM ${ledger} WHERE l.member_id = m.id AND l.created_at < ? ORDER BY l.id DESC LIMIT 1) AS closing_id`, [LEDGER, LEDGER_MEMBER_INDEX, before]),
          this.db.raw('(SELECT MAX(l.id) FROM ?? AS l WHERE l.member_id = m.id) AS latest_id', [LEDGER]),
        ),
    );
    const closingIds = heads.filter((h) => h.closing_id !== null && h.closing_id !== undefined).map((h) => toInt(h.closing_id));
    const entries: Array<Record<string, unknown>> = await selectIn(closingIds, (slice) => this.db(LEDGER).whereIn('id', slice).select('id', 'balance_after', 'pending_after'));
    const entryById = new Map(entries.map((e) => [toInt(e.id), e]));
    const out = new Map<number, StatementBalances>();
    const unknown: number[] = [];
    for (const h of heads) {
      const id = toInt(h.id);
      const entry = h.closing_id === null || h.closing_id === undefined ? undefined : entryById.get(toInt(h.closing_id));
      if (!entry) {
        out.set(id, { pointsAvailable: 0, pointsPending: 0 });
        continue;
      }
      const total = toInt(entry.balance_after);
      const pending = entry.pending_after !== null && entry.pending_after !== undefined ? toInt(entry.pending_after) : toInt(h.closing_id) === toInt(h.latest_id) ? toInt(h.points_pending) : null;
      if (pending === null) unknown.push(id);
      out.set(id, { pointsAvailable: total - (pending ?? 0), pointsPending: pending ?? 0 });
    }
    if (unknown.length > 0) {
      const estimates = await this.pendingEstimate(unknown, before);
      for (const id of unknown) {
        const known = out.get(id);
        const pending = estimates.get(id) ?? 0;
        if (known) out.set(id, { pointsAvailable: known.pointsAvailable - pending, pointsPending: pending });
      }
    }
    return out;
  }

  /**
   * Points of lots credited before `before` whose refund window was still open then: what was
   * pending at `before`, but for what a debit drew from them before it (which no row records),
   * for entries written before `pending_after` existed.
   */
  private async pendingEstimate(memberIds: readonly number[], before: Date): Promise<Map<number, number>> {
    const rows: Array<Record<string, unknown>> = await selectIn(memberIds, (slice) =>
      this.db(`${LOTS} as o`)
        .join(`${LEDGER} as e`, 'e.id', 'o.ledger_id')
        .whereIn('o.member_id', slice)
        .andWhere('o.available_at', '>=', before)
        .andWhere('e.created_at', '<', before)
        .groupBy('o.member_id')
        .select('o.member_id')
        .sum({ points: 'o.points' }),
    );
    return new Map(rows.map((r) => [toInt(r.member_id), toInt(r.points)]));
  }
}
