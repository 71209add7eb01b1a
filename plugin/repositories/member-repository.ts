import type { Knex } from 'knex';
import type { Member, MemberBalances, MemberProfile, ServiceSummary } from '../domain/member';
import { insertRows, selectIn, updateById } from './bulk';
import { insertOrDuplicate } from './insert-or-duplicate';
import { toDate, toDateOrNull, toInt } from './row-values';

export const MEMBERS = 'loyalty_members';

export interface NewMember {
  panelClientId: string;
  email?: string;
  name?: string;
  locale?: string;
  currency?: string;
  birthday?: string;
  referralCode: string;
  joinedAt: Date;
}

export interface BalanceMismatch {
  memberId: number;
  panelClientId: string;
  cached: number;
  ledgerSum: number;
  lotsSum: number;
  pendingCached: number;
  pendingLots: number;
}

function toMember(row: Record<string, unknown>): Member {
  return {
    id: toInt(row.id),
    panelClientId: String(row.panel_client_id),
    email: (row.email as string | null) ?? null,
    name: (row.name as string | null) ?? null,
    locale: (row.locale as string | null) ?? null,
    currency: (row.currency as string | null) ?? null,
    birthday: (row.birthday as string | null) ?? null,
    pointsAvailable: toInt(row.points_available),
    pointsPending: toInt(row.points_pending),
    pointsLifetime: toInt(row.points_lifetime),
    status: String(row.status),
    referralCode: String(row.referral_code),
    joinedAt: toDate(row.joined_at),
    tierId: row.tier_id === null || row.tier_id === undefined ? null : toInt(row.tier_id),
    tierBelowSince: toDateOrNull(row.tier_below_since),
    servicesActive: toInt(row.services_active),
    servicesSuspended: toInt(row.services_suspended),
    firstServiceAt: toDateOrNull(row.first_service_at),
    suspendedSince: toDateOrNull(row.suspended_since),
    profileAt: toDateOrNull(row.profile_at),
    tierRecheckAt: toDateOrNull(row.tier_recheck_at),
  };
}

const memberRow = (m: NewMember) => ({
  panel_client_id: m.panelClientId,
  email: m.email ?? null,
  name: m.name ?? null,
  locale: m.locale ?? null,
  currency: m.currency ?? null,
  birthday: m.birthday ?? null,
  referral_code: m.referralCode,
  joined_at: m.joinedAt,
  updated_at: m.joinedAt,
});

export class MemberRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * With `forUpdate`, the row stays locked until the transaction ends: every balance change
   * reads and writes the member under this lock, so two events can never both start from the
   * same balance (DESIGN §10: read-then-write without it overspends on MariaDB).
   */
  async findByPanelClientId(panelClientId: string, options: { forUpdate?: boolean } = {}): Promise<Member | null> {
    const q = this.db(MEMBERS).where({ panel_client_id: panelClientId }).first();
    if (options.forUpdate) q.forUpdate();
    const row = await q;
    return row ? toMember(row) : null;
  }

  /**
   * The admin's search, newest members first, `limit` of them below `beforeId`: an exact panel
   * client id, or an email or name starting with `term` (case-insensitive on both engines for
   * ASCII; LIKE's wildcards in the term are matched literally).
   */
  async search(term: string | null, beforeId: number | null, limit: number): Promise<Member[]> {
    const q = this.db(MEMBERS).orderBy('id', 'desc').limit(limit);
    if (beforeId !== null) q.where('id', '<', beforeId);
    if (term !== null) {
      // Anywhere in the email or name: an admin types a surname or a domain as often as a first
      // name. The walk is the id order the pager needs, so the cost is the members passed over
      // until a page is full, at worst the table once: fine for a person searching.
      const contains = `%${term.replace(/[!%_]/g, (c) => `!${c}`)}%`;
      q.andWhere((w) => {
        w.where('panel_client_id', term)
          // No LOWER(): LIKE already ignores case (SQLite for ASCII, MySQL by the column's _ci collation).
          .orWhereRaw("?? LIKE ? ESCAPE '!'", ['email', contains])
          .orWhereRaw("?? LIKE ? ESCAPE '!'", ['name', contains]);
      });
    }
    return (await q).map(toMember);
  }

  async findById(id: number, options: { forUpdate?: boolean } = {}): Promise<Member | null> {
    const q = this.db(MEMBERS).where({ id }).first();
    if (options.forUpdate) q.forUpdate();
    const row = await q;
    return row ? toMember(row) : null;
  }

  /** Several members by id, without a lock (a dry run's reads). */
  async findMany(ids: readonly number[]): Promise<Member[]> {
    const rows = await selectIn(ids, (slice) => this.db(MEMBERS).whereIn('id', slice));
    return (rows as Array<Record<string, unknown>>).map(toMember);
  }

  /** Member ids by panel client id, for those of `panelClientIds` enrolled (no lock: ids never change). */
  async idsByPanelClientIds(panelClientIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await selectIn(panelClientIds, (slice) => this.db(MEMBERS).whereIn('panel_client_id', slice).select('id', 'panel_client_id'));
    return new Map((rows as Array<Record<string, unknown>>).map((r) => [String(r.panel_client_id), toInt(r.id)]));
  }

  /** Members enrolled at once (a backfill's batch); a client enrolled meanwhile fails the statement. */
  async insertMany(members: readonly NewMember[]): Promise<Member[]> {
    await insertRows(
      this.db,
      MEMBERS,
      members.map(memberRow),
    );
    const rows = await selectIn(
      members.map((m) => m.panelClientId),
      (slice) => this.db(MEMBERS).whereIn('panel_client_id', slice).orderBy('id'),
    );
    return (rows as Array<Record<string, unknown>>).map(toMember);
  }

  /** Several members' tier fields at once (each already locked). */
  async setTiersMany(rows: ReadonlyArray<{ id: number; tierId: number | null; tierBelowSince: Date | null; tierRecheckAt: Date | null }>, now: Date): Promise<void> {
    await updateById(
      this.db,
      MEMBERS,
      rows.map((r) => ({ id: r.id, tier_id: r.tierId, tier_below_since: r.tierBelowSince, tier_recheck_at: r.tierRecheckAt, updated_at: now })),
    );
  }

  /**
   * Locks several members for the rest of the transaction, in id order (a fixed order, so two
   * transactions locking overlapping sets can't deadlock on each other: DESIGN §10).
   */
  async lockMany(ids: readonly number[]): Promise<Member[]> {
    if (ids.length === 0) return [];
    const rows = await this.db(MEMBERS).whereIn('id', ids).orderBy('id').forUpdate();
    return rows.map(toMember);
  }

  /**
   * What a payment needs of members it holds locked (`lockMany` first): their qualifying spend
   * in `months`, and when their earliest pending lot comes due. Not folded into the locking
   * statement: its subqueries would be consistent reads, and the one view a statement reads
   * through can predate a lock it then waits for, missing what the lock's holder committed.
   */
  async paymentFacts(
    ids: readonly number[],
    months: readonly string[],
  ): Promise<Map<number, { spend: Array<{ month: string; amountMinor: number }>; nextReleaseAt: Date | null }>> {
    if (ids.length === 0) return new Map();
    const mysql = this.db.client.config.client === 'mysql2';
    const pair = mysql ? "concat(s.month, ':', s.amount_minor)" : "s.month || ':' || s.amount_minor";
    const inList = (n: number) => Array.from({ length: n }, () => '?').join(', ');
    const result: unknown = await this.db.raw(
      `select m.id,
         (select min(l.available_at) from loyalty_lots l where l.member_id = m.id and l.pending = 1) as next_release_at,
         (select group_concat(${pair}) from loyalty_spend_months s where s.member_id = m.id and s.month in (${inList(months.length)})) as spend_months
       from ${MEMBERS} m where m.id in (${inList(ids.length)})`,
      [...months, ...ids],
    );
    const rows = (mysql ? (result as [unknown[]])[0] : result) as Array<Record<string, unknown>>;
    return new Map(
      rows.map((r) => [
        toInt(r.id),
        {
          spend: String(r.spend_months ?? '')
            .split(',')
            .filter((p) => p !== '')
            .map((p) => ({ month: p.slice(0, p.indexOf(':')), amountMinor: toInt(p.slice(p.indexOf(':') + 1)) }))
            .sort((a, b) => (a.month < b.month ? -1 : 1)),
          nextReleaseAt: toDateOrNull(r.next_release_at),
        },
      ]),
    );
  }

  /** Several members' balances at once (a job's batch; each already locked). */
  async setBalancesMany(members: ReadonlyArray<MemberBalances & { id: number }>, now: Date): Promise<void> {
    await updateById(
      this.db,
      MEMBERS,
      members.map((m) => ({ id: m.id, points_available: m.pointsAvailable, points_pending: m.pointsPending, points_lifetime: m.pointsLifetime, updated_at: now })),
    );
  }

  /** Inserts the member, or returns null when another transaction enrolled them first. */
  async insert(m: NewMember): Promise<number | null> {
    return insertOrDuplicate(
      this.db(MEMBERS).insert(memberRow(m)),
    );
  }

  async setBalances(
    id: number,
    balances: MemberBalances,
    now: Date,
  ): Promise<void> {
    await this.db(MEMBERS).where({ id }).update({
      points_available: balances.pointsAvailable,
      points_pending: balances.pointsPending,
      points_lifetime: balances.pointsLifetime,
      updated_at: now,
    });
  }

  async setTier(id: number, tierId: number | null, belowSince: Date | null, now: Date): Promise<void> {
    await this.db(MEMBERS).where({ id }).update({ tier_id: tierId, tier_below_since: belowSince, updated_at: now });
  }

  async setServiceSummary(id: number, s: ServiceSummary, now: Date): Promise<void> {
    await this.db(MEMBERS).where({ id }).update({
      services_active: s.servicesActive,
      services_suspended: s.servicesSuspended,
      first_service_at: s.firstServiceAt,
      suspended_since: s.suspendedSince,
      updated_at: now,
    });
  }

  async setProfile(id: number, p: MemberProfile, now: Date): Promise<void> {
    const cols = { email: p.email, name: p.name, locale: p.locale, currency: p.currency, birthday: p.birthday, status: p.status, profile_at: p.profileAt };
    const set = Object.fromEntries(Object.entries(cols).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length === 0) return;
    await this.db(MEMBERS).where({ id }).update({ ...set, updated_at: now });
  }

  /** Members holding a tier, in id order from `afterId`. */
  async idsWithTier(afterId: number, limit: number): Promise<number[]> {
    const rows = await this.db(MEMBERS).whereNotNull('tier_id').andWhere('id', '>', afterId).orderBy('id').limit(limit).select('id');
    return rows.map((r: Record<string, unknown>) => toInt(r.id));
  }

  async setTierRecheck(id: number, at: Date | null): Promise<void> {
    await this.db(MEMBERS).where({ id }).update({ tier_recheck_at: at });
  }

  /**
   * The tier review's work lists, in id order from `afterId`, each read by its own index:
   * members below their tier since `belowBefore` or earlier (grace over), and members whose
   * spend may have dropped by `now` (`tier_recheck_at`).
   */
  async idsTierReviewDue(list: 'grace_over' | 'recheck', at: Date, afterId: number, limit: number): Promise<number[]> {
    const rows = await this.tierReviewDue(list, at).andWhere('id', '>', afterId).orderBy('id').limit(limit).select('id');
    return rows.map((r: Record<string, unknown>) => toInt(r.id));
  }

  /** How many `idsTierReviewDue` has in all: a range of the list's index, for the job's progress. */
  async countTierReviewDue(list: 'grace_over' | 'recheck', at: Date): Promise<number> {
    const row = await this.tierReviewDue(list, at).count({ n: '*' }).first();
    return toInt(row?.n);
  }

  private tierReviewDue(list: 'grace_over' | 'recheck', at: Date): Knex.QueryBuilder {
    return this.db(MEMBERS).where(list === 'grace_over' ? 'tier_below_since' : 'tier_recheck_at', '<=', at);
  }

  /**
   * Members whose cached balances disagree with their ledger or their lots (invariant 2):
   * available + pending = Σ ledger; pending = Σ remaining of pending lots; and the lots hold
   * whatever is not debt, max(available, 0) + pending. The tests call it after every scenario,
   * and an operator can too.
   */
  async findBalanceMismatches(): Promise<BalanceMismatch[]> {
    const ledgerSum = this.db('loyalty_ledger as l').sum('l.delta').where('l.member_id', this.db.ref('m.id'));
    const lotsSum = this.db('loyalty_lots as o').sum('o.remaining').where('o.member_id', this.db.ref('m.id'));
    const pendingSum = this.db('loyalty_lots as p').sum('p.remaining').where('p.member_id', this.db.ref('m.id')).andWhere('p.pending', '<>', 0);
    const rows = await this.db
      .from(
        this.db(`${MEMBERS} as m`)
          .select('m.id', 'm.panel_client_id', 'm.points_available', 'm.points_pending')
          .select(this.db.raw('m.points_available + m.points_pending as cached'))
          .select(this.db.raw('COALESCE((?), 0) as ledger_sum', [ledgerSum]))
          .select(this.db.raw('COALESCE((?), 0) as lots_sum', [lotsSum]))
          .select(this.db.raw('COALESCE((?), 0) as pending_sum', [pendingSum]))
          .as('b'),
      )
      .whereRaw(
        'b.cached <> b.ledger_sum OR b.points_pending <> b.pending_sum OR ' +
          '(CASE WHEN b.points_available > 0 THEN b.points_available ELSE 0 END) + b.points_pending <> b.lots_sum',
      );
    return rows.map((r: Record<string, unknown>) => ({
      memberId: toInt(r.id),
      panelClientId: String(r.panel_client_id),
      cached: toInt(r.cached),
      ledgerSum: toInt(r.ledger_sum),
      lotsSum: toInt(r.lots_sum),
      pendingCached: toInt(r.points_pending),
      pendingLots: toInt(r.pending_sum),
    }));
  }
}
