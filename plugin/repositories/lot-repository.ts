import type { Knex } from 'knex';
import type { Lot, NewLot } from '../domain/lot';
import { insertRows, selectIn } from './bulk';
import { toDate, toDateOrNull, toInt } from './row-values';

export const LOTS = 'loyalty_lots';
/** (expiring_at, id): open lots by expiry, across members. */
export const EXPIRING_INDEX = 'loyalty_lots_expiring_idx';
/** (member_id, expiring_at, remaining): a member's open lots by expiry, their points in the index. */
export const MEMBER_EXPIRING_INDEX = 'loyalty_lots_member_expiring_remaining_idx';
/** (member_id, pending, available_at, remaining): a member's pending lots by release, their points in the index. */
const MEMBER_PENDING_INDEX = 'loyalty_lots_member_pending_remaining_idx';
const DAY_MS = 86_400_000;
/** The parts of `tabSummary`'s union, told apart by their `part` column. */
const EXPIRY_WINDOW = 0;
const EXPIRY_DAY = 1;
const PENDING_DUE = 2;
const PENDING_LATER = 3;
/** Later than any expiry: the bound when a member has fewer expiry days ahead than asked for. */
const NO_BOUND = new Date(Date.UTC(9999, 11, 31));

/** What the Rewards tab shows of a member's lots (`LotRepository.tabSummary`). */
export interface LotsSummary {
  /** `upcoming`: by last day, each with its first deadline (see `tabSummary`). */
  expiring: { points: number; firstExpiry: Date | null; upcoming: Array<{ points: number; expiresAt: Date }> };
  pending: { due: number; upcoming: Array<{ points: number; availableAt: Date }> };
}

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
 * Lots are only changed by code holding the member's row lock (MemberAccount), so reads here
 * need no lock of their own.
 *
 * `expiring_at` is a generated column: `expires_at` while a lot has points left, NULL once it
 * is empty (never written here). The expiry walk reads the (expiring_at, id) index, which so
 * holds only open lots: its cost follows the lots due, not the spent and expired history.
 */
const lotRow = (lot: NewLot) => ({
  member_id: lot.memberId,
  ledger_id: lot.ledgerId,
  points: lot.points,
  remaining: lot.remaining,
  pending: lot.pending,
  earned_at: lot.earnedAt,
  available_at: lot.availableAt,
  expires_at: lot.expiresAt,
});

/**
 * The lots table read through a named index. The expiry reads name theirs: a planner can't
 * tell that most rows are NULL in `expiring_at` (statistics on a small or freshly analysed
 * table made SQLite scan and MariaDB pick the member's whole history), and a nightly job
 * whose cost follows the history is the failure this index exists to prevent. `alias` names
 * the table for a correlated subquery.
 */
export function lotsThrough(db: Knex | Knex.Transaction, index: string, alias?: string): Knex.QueryBuilder {
  const mysql = db.client.config.client === 'mysql2';
  const sql = alias ? (mysql ? '?? AS ?? FORCE INDEX (??)' : '?? AS ?? INDEXED BY ??') : mysql ? '?? FORCE INDEX (??)' : '?? INDEXED BY ??';
  return db.from(db.raw(sql, alias ? [LOTS, alias, index] : [LOTS, index]));
}

export class LotRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  private lotsBy(index: string): Knex.QueryBuilder {
    return lotsThrough(this.db, index);
  }

  async insert(lot: NewLot): Promise<number> {
    const [id] = await this.db(LOTS).insert(lotRow(lot));
    return toInt(id);
  }

  /** Several lots in as few statements as fit (a backfill's batch). */
  async insertMany(lots: readonly NewLot[]): Promise<void> {
    await insertRows(
      this.db,
      LOTS,
      lots.map(lotRow),
    );
  }

  async setRemaining(id: number, remaining: number, pending: boolean): Promise<void> {
    await this.db(LOTS).where({ id }).update({ remaining, pending });
  }

  /** The latest expiry among the member's lots with points left. */
  async latestOpenExpiry(memberId: number): Promise<Date | null> {
    const row = await this.db(LOTS).where({ member_id: memberId }).andWhere('remaining', '>', 0).max({ at: 'expires_at' }).first();
    return toDateOrNull(row?.at);
  }

  /**
   * Moves the member's open lots that would expire before `to` (or never) on to `to`: the
   * inactivity policy's "each earning restarts the clock" for the whole balance.
   */
  async extendOpenLots(memberId: number, to: Date): Promise<number> {
    return this.db(LOTS)
      .where({ member_id: memberId })
      .andWhere('remaining', '>', 0)
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '<', to))
      .update({ expires_at: to });
  }

  /** Pending lots whose refund window has passed, oldest first. */
  async dueForRelease(memberId: number, now: Date): Promise<Lot[]> {
    const rows = await this.db(LOTS)
      .where({ member_id: memberId, pending: true })
      .andWhere('available_at', '<=', now)
      .orderBy('id', 'asc');
    return rows.map(toLot);
  }

  /** `dueForRelease` for several members at once, by member. */
  async dueForReleaseMany(memberIds: readonly number[], now: Date): Promise<Map<number, Lot[]>> {
    const rows = await selectIn(memberIds, (slice) =>
      this.db(LOTS).whereIn('member_id', slice).andWhere({ pending: true }).andWhere('available_at', '<=', now).orderBy('id', 'asc'),
    );
    const due = new Map<number, Lot[]>();
    for (const row of rows as Array<Record<string, unknown>>) {
      const memberId = toInt(row.member_id);
      due.set(memberId, [...(due.get(memberId) ?? []), toLot(row)]);
    }
    return due;
  }

  /**
   * Members with pending lots due by `now`, after `afterMemberId` in id order: the release
   * job's work list, a batch at a time. Read through the (pending, available_at) index, so it
   * costs the lots due, not the table.
   */
  async membersWithDueLots(now: Date, limit: number, afterMemberId = 0): Promise<number[]> {
    const rows = await this.db(LOTS)
      .distinct('member_id')
      .where({ pending: true })
      .andWhere('available_at', '<=', now)
      .andWhere('member_id', '>', afterMemberId)
      .orderBy('member_id', 'asc')
      .limit(limit);
    return rows.map((r: Record<string, unknown>) => toInt(r.member_id));
  }

  /** What a release run would move now: members and points of pending lots past their window (a dry run's report). */
  async pendingDue(now: Date): Promise<{ members: number; points: number }> {
    const row = await this.db(LOTS).where({ pending: true }).andWhere('available_at', '<=', now).countDistinct({ members: 'member_id' }).sum({ points: 'remaining' }).first();
    return { members: toInt(row?.members), points: toInt(row?.points) };
  }

  /** Every lot with points left, for a reversal to draw from. */
  async withRemaining(memberId: number): Promise<Lot[]> {
    const rows = await this.db(LOTS).where({ member_id: memberId }).andWhere('remaining', '>', 0).orderBy('id', 'asc');
    return rows.map(toLot);
  }

  /**
   * Points still unspent that expire in [from, to), and the first date they do. Summed from the
   * (member_id, expiring_at, remaining) index alone: `expiring_at` is `expires_at` on lots with
   * points left, so the range holds the lots counted and nothing else.
   */
  async expiringBetween(memberId: number, from: Date, to: Date): Promise<{ points: number; firstExpiry: Date | null }> {
    const row: Record<string, unknown> | undefined = await this.lotsBy(MEMBER_EXPIRING_INDEX)
      .where({ member_id: memberId })
      .andWhere('expiring_at', '>=', from)
      .andWhere('expiring_at', '<', to)
      .sum({ points: 'remaining' })
      .min({ first: 'expiring_at' })
      .first();
    return { points: toInt(row?.points), firstExpiry: toDateOrNull(row?.first) };
  }

  /**
   * The Rewards tab's lot figures in one statement (each part of the union reads one index of
   * a member's lots, nothing else):
   * - expiry: what `expiringBetween(now, windowEnd)` gives, and the member's next `expiryDays`
   *   last days from `now` on, soonest first, each with its first deadline and the unspent points
   *   whose last day it is (the first day counted from `now`); the days part reads the entries of
   *   those days only, however many lots come after. A lot's last day is the day of the instant
   *   before its deadline (one expiring at midnight lasts the day before) on a clock `utcOffsetMs`
   *   ahead of UTC: the program's at `now`;
   * - pending, when `pendingDates` > 0: the points of pending lots whose refund window has
   *   passed at `now` (a release moves all of them into the balance, whatever part of them pays
   *   off a debt, so their sum is all it takes to show it), and the points still in their
   *   window by release date, soonest first (at most `pendingDates` dates).
   */
  async tabSummary(memberId: number, q: { now: Date; windowEnd: Date; expiryDays: number; pendingDates: number; utcOffsetMs: number }): Promise<LotsSummary> {
    const part = (n: number, at: string, points: string) => [this.db.raw(`${n} AS part`), this.db.raw(`${at} AS at`), this.db.raw(`${points} AS points`)];
    const window = this.lotsBy(MEMBER_EXPIRING_INDEX)
      .select(part(EXPIRY_WINDOW, 'MIN(expiring_at)', 'SUM(remaining)'))
      .where({ member_id: memberId })
      .andWhere('expiring_at', '>=', q.now)
      .andWhere('expiring_at', '<', q.windowEnd);
    const others: Knex.QueryBuilder[] = [];
    if (q.expiryDays > 0) others.push(this.expiryDays(memberId, q.now, q.expiryDays, q.utcOffsetMs));
    if (q.pendingDates > 0) {
      const pending = () => this.lotsBy(MEMBER_PENDING_INDEX).where({ member_id: memberId, pending: true });
      others.push(
        pending().select(part(PENDING_DUE, 'NULL', 'SUM(remaining)')).andWhere('available_at', '<=', q.now),
        pending()
          .select(part(PENDING_LATER, 'available_at', 'SUM(remaining)'))
          .andWhere('available_at', '>', q.now)
          .andWhere('remaining', '>', 0)
          .groupBy('available_at')
          .orderBy('available_at', 'asc')
          .limit(q.pendingDates),
      );
    }
    // Each part is wrapped as a derived table: a part's own ORDER BY and LIMIT stay its own.
    const derived = (p: Knex.QueryBuilder, n: number) => this.db.select('*').from(p.as(`p${n}`));
    const query = derived(window, 0);
    if (others.length > 0) query.unionAll(others.map((p, i) => derived(p, i + 1)));
    const rows: Array<Record<string, unknown>> = await query;
    // A union's rows come in no promised order.
    const of = (n: number) =>
      rows
        .filter((r) => toInt(r.part) === n)
        .map((r) => ({ at: toDate(r.at), points: toInt(r.points) }))
        .sort((a, b) => a.at.getTime() - b.at.getTime());
    const inWindow = rows.find((r) => toInt(r.part) === EXPIRY_WINDOW);
    return {
      expiring: {
        points: toInt(inWindow?.points),
        firstExpiry: toDateOrNull(inWindow?.at),
        upcoming: of(EXPIRY_DAY).map(({ at, points }) => ({ points, expiresAt: at })),
      },
      pending: {
        due: toInt(rows.find((r) => toInt(r.part) === PENDING_DUE)?.points),
        upcoming: of(PENDING_LATER).map(({ at, points }) => ({ points, availableAt: at })),
      },
    };
  }

  /**
   * The sums of the next `days` last days, each row its first expiry and points: nested
   * subqueries find where the `days`-th day ends (each a MIN, one index seek), and the query
   * sums the lots before it by day. A deadline `e` falls on the last day of `e - 1 ms` on a clock
   * `utcOffsetMs` ahead of UTC.
   */
  private expiryDays(memberId: number, from: Date, days: number, utcOffsetMs: number): Knex.QueryBuilder {
    if (!Number.isSafeInteger(utcOffsetMs) || Math.abs(utcOffsetMs) > DAY_MS) throw new RangeError(`utcOffsetMs must be whole milliseconds within a day, got ${utcOffsetMs}`);
    const mysql = this.db.client.config.client === 'mysql2';
    const lots = mysql ? '?? FORCE INDEX (??)' : '?? INDEXED BY ??';
    // From a deadline to the clock its last day is read on (checked to be an integer above).
    const shift = utcOffsetMs - 1;
    // The day a deadline's last day is, and the first deadline of the day after `x`'s: MySQL
    // DATETIMEs are UTC here; SQLite holds epoch ms.
    const dayOf = (x: string) => (mysql ? `DATE(${x} + INTERVAL ${shift * 1000} MICROSECOND)` : `((${x} + ${shift}) - (${x} + ${shift}) % ${DAY_MS})`);
    const nextDay = (x: string) => (mysql ? `(${dayOf(x)} + INTERVAL 1 DAY - INTERVAL ${shift * 1000} MICROSECOND)` : `(${dayOf(x)} + ${DAY_MS - shift})`);
    let bound = '?';
    const bindings: Knex.RawBinding[] = [from];
    for (let i = 0; i < days; i++) {
      bound = `(SELECT ${nextDay('MIN(expiring_at)')} FROM ${lots} WHERE member_id = ? AND expiring_at >= ${bound})`;
      bindings.unshift(LOTS, MEMBER_EXPIRING_INDEX, memberId);
    }
    return this.lotsBy(MEMBER_EXPIRING_INDEX)
      .select(this.db.raw(`${EXPIRY_DAY} AS part`), this.db.raw('MIN(expiring_at) AS at'), this.db.raw('SUM(remaining) AS points'))
      .where({ member_id: memberId })
      .andWhere('expiring_at', '>=', from)
      .andWhere('expiring_at', '<', this.db.raw(`COALESCE(${bound}, ?)`, [...bindings, NO_BOUND]))
      .groupByRaw(dayOf('expiring_at'))
      .orderByRaw(dayOf('expiring_at'))
      .limit(days);
  }

  // --- Expiry (issue 8) ---

  /**
   * The expiry job's work list: spendable lots with points left and `expires_at <= until`,
   * in (expiring_at, id) order after `after`, read along the (expiring_at, id) index, which
   * holds open lots only. Keyset paging means each batch starts where the last one ended.
   * Due lots still pending are read and passed over; there are few (earned within the
   * refund window yet already past expiry: late events).
   */
  async dueForExpiry(until: Date, after: { expiresAt: Date; id: number } | null, limit: number): Promise<Array<{ id: number; memberId: number; expiresAt: Date }>> {
    const q = this.lotsBy(EXPIRING_INDEX)
      .select('id', 'member_id', 'expiring_at')
      .where('expiring_at', '<=', until)
      .andWhere({ pending: false });
    // One index range [after, until] read in order, the rows at `after` itself up to its id
    // filtered out: an OR of the two keyset cases makes SQLite merge two ranges and sort them
    // all, and MariaDB doesn't range-scan row-value comparisons.
    if (after) q.andWhere('expiring_at', '>=', after.expiresAt).andWhereNot((w) => w.where('expiring_at', '=', after.expiresAt).andWhere('id', '<=', after.id));
    const rows = await q.orderBy([{ column: 'expiring_at' }, { column: 'id' }]).limit(limit);
    return rows.map((r: Record<string, unknown>) => ({ id: toInt(r.id), memberId: toInt(r.member_id), expiresAt: toDate(r.expiring_at) }));
  }

  /** How many lots `dueForExpiry` will walk (pending ones included): the progress bar's total. */
  async countDueForExpiry(until: Date): Promise<number> {
    const row = await this.lotsBy(EXPIRING_INDEX).where('expiring_at', '<=', until).count({ n: '*' }).first();
    return toInt(row?.n);
  }

  /**
   * One member's spendable lots past expiry with points left; pending lots wait for their
   * release. Read by (member_id, expiring_at): the member's spent history is not read.
   */
  async expiredFor(memberId: number, until: Date): Promise<Lot[]> {
    const rows = await this.lotsBy(MEMBER_EXPIRING_INDEX)
      .where({ member_id: memberId, pending: false })
      .andWhere('expiring_at', '<=', until)
      .orderBy('id', 'asc');
    return rows.map(toLot);
  }

  /** `expiredFor` for several members in one read: their due spendable lots, by member. */
  async expiredForMany(memberIds: readonly number[], until: Date): Promise<Map<number, Lot[]>> {
    const out = new Map<number, Lot[]>();
    if (memberIds.length === 0) return out;
    const rows = await this.lotsBy(MEMBER_EXPIRING_INDEX)
      .whereIn('member_id', memberIds)
      .andWhere({ pending: false })
      .andWhere('expiring_at', '<=', until)
      .orderBy('id', 'asc');
    for (const row of rows as Array<Record<string, unknown>>) {
      const memberId = toInt(row.member_id);
      const list = out.get(memberId) ?? [];
      list.push(toLot(row));
      out.set(memberId, list);
    }
    return out;
  }

  /** Empties lots in one statement (expiry takes a lot's whole remainder). */
  async empty(ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.db(LOTS).whereIn('id', ids).update({ remaining: 0 });
  }
}
