import type { Knex } from 'knex';
import type { LedgerEntry, LedgerKind, NewLedgerEntry } from '../domain/ledger';
import { insertRows, insertRowsReturningIds, selectIn } from './bulk';
import { LOTS } from './lot-repository';
import { toDate, toInt } from './row-values';

export const LEDGER = 'loyalty_ledger';

/** One award entry of a rule: what a cap counts. */
export interface RuleAward {
  id: number;
  memberId: number;
  rule: string;
  points: number;
  reference: string | null;
}

function toEntry(row: Record<string, unknown>): LedgerEntry {
  return {
    id: toInt(row.id),
    memberId: toInt(row.member_id),
    delta: toInt(row.delta),
    kind: row.kind as LedgerKind,
    reasonCode: String(row.reason_code),
    reasonParams: row.reason_params ? JSON.parse(String(row.reason_params)) : {},
    rule: (row.rule as string | null) ?? null,
    reference: (row.reference as string | null) ?? null,
    actor: String(row.actor),
    balanceAfter: toInt(row.balance_after),
    createdAt: toDate(row.created_at),
  };
}

/** Append-only by construction: this class has no update or delete. */
function ledgerRow(e: NewLedgerEntry): Record<string, unknown> {
  return {
    member_id: e.memberId,
    delta: e.delta,
    kind: e.kind,
    reason_code: e.reasonCode,
    reason_params: e.reasonParams ? JSON.stringify(e.reasonParams) : null,
    rule: e.rule ?? null,
    reference: e.reference ?? null,
    event_id: e.eventId ?? null,
    actor: e.actor,
    balance_after: e.balanceAfter,
    pending_after: e.pendingAfter,
    created_at: e.createdAt,
  };
}

export class LedgerRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async append(e: NewLedgerEntry): Promise<number> {
    const [id] = await this.db(LEDGER).insert(ledgerRow(e));
    return toInt(id);
  }

  /** Several entries in one statement (a job's batch); their ids are not needed. */
  async appendMany(entries: readonly NewLedgerEntry[]): Promise<void> {
    await insertRows(this.db, LEDGER, entries.map(ledgerRow));
  }

  /**
   * Several entries of members the caller holds locked, in as few statements as fit; returns
   * their ids in order (a lot names the entry it came from).
   */
  async appendManyReturningIds(entries: readonly NewLedgerEntry[]): Promise<number[]> {
    if (entries.length === 0) return [];
    return insertRowsReturningIds(this.db, LEDGER, entries.map((e) => ({ ...ledgerRow(e), member_id: e.memberId })));
  }

  /**
   * What these rules credited these members in [from, to), by ledger time: every award entry
   * (positive delta), with its reference, so a cap can tell which of them a reversal has undone
   * since (services/cap-usage.ts). Ranges on loyalty_ledger_member_rule_idx.
   */
  async awardsBetweenMany(memberIds: readonly number[], rules: readonly string[], from: Date, to: Date): Promise<RuleAward[]> {
    if (rules.length === 0) return [];
    const rows = await selectIn(memberIds, (slice) =>
      this.db(LEDGER)
        .whereIn('member_id', slice)
        .whereIn('rule', [...rules])
        .andWhere('created_at', '>=', from)
        .andWhere('created_at', '<', to)
        .andWhere('delta', '>', 0)
        .select('id', 'member_id', 'rule', 'delta', 'reference'),
    );
    return (rows as Array<Record<string, unknown>>).map((r) => ({
      id: toInt(r.id),
      memberId: toInt(r.member_id),
      rule: String(r.rule),
      points: toInt(r.delta),
      reference: (r.reference as string | null) ?? null,
    }));
  }

  /**
   * Newest first, keyset-paginated on id so page N costs the same as page 1 however long the
   * history is. Fetches one extra row to tell whether an older page exists.
   */
  async pageForMember(
    memberId: number,
    options: { beforeId?: number; limit: number; kinds?: readonly LedgerKind[]; from?: Date; until?: Date },
  ): Promise<{ entries: LedgerEntry[]; hasOlder: boolean }> {
    const q = this.db(LEDGER).where({ member_id: memberId }).orderBy('id', 'desc').limit(options.limit + 1);
    if (options.beforeId !== undefined) q.andWhere('id', '<', options.beforeId);
    if (options.kinds) q.whereIn('kind', [...options.kinds]);
    // [from, until): the history's date filter, in whole UTC days chosen by the caller.
    if (options.from) q.andWhere('created_at', '>=', options.from);
    if (options.until) q.andWhere('created_at', '<', options.until);
    const rows = await q;
    return { entries: rows.slice(0, options.limit).map(toEntry), hasOlder: rows.length > options.limit };
  }

  /** The first entry of a member with this reference (an admin adjustment's one-time key). */
  async firstWithReference(memberId: number, reference: string): Promise<LedgerEntry | null> {
    const row = await this.db(LEDGER).where({ member_id: memberId, reference }).orderBy('id', 'asc').first();
    return row ? toEntry(row) : null;
  }

  /** Ids of the earn and bonus entries a reference (an invoice) produced. */
  async idsForReference(memberId: number, reference: string): Promise<number[]> {
    const rows = await this.db(LEDGER).where({ member_id: memberId, reference }).whereIn('kind', ['earn', 'bonus']).select('id');
    return rows.map((r: Record<string, unknown>) => toInt(r.id));
  }

  /** Ids of the earn and bonus entries one event credited under a reference (an upgrade's, under `service:<id>`). */
  async idsForEvent(memberId: number, reference: string, eventId: number): Promise<number[]> {
    const rows = await this.db(LEDGER).where({ member_id: memberId, reference, event_id: eventId }).whereIn('kind', ['earn', 'bonus']).select('id');
    return rows.map((r: Record<string, unknown>) => toInt(r.id));
  }

  /** Whether the member has an entry of this kind and reference (a once-only credit, checked under the member's lock). */
  async hasEntry(memberId: number, kind: LedgerKind, reference: string): Promise<boolean> {
    return (await this.db(LEDGER).where({ member_id: memberId, reference, kind }).first('id')) !== undefined;
  }

  async countForMember(memberId: number): Promise<number> {
    const row = await this.db(LEDGER).where({ member_id: memberId }).count({ n: '*' }).first();
    return toInt(row?.n);
  }

  // What rules have given so far: action frequencies and once-per-member bonuses. Callers hold
  // the member's row lock, so "check, then credit" can't race another event of theirs.

  /**
   * How many times a rule credited a member for something earned in [from, to): an action rule's
   * frequency. Each credit has one lot, and its `earned_at` is when the action happened (not when
   * it was delivered), so the count is the same whatever order the actions arrive in.
   */
  async countAwardsEarnedBetween(memberId: number, rule: string, from: Date, to: Date): Promise<number> {
    const row = await this.db(`${LEDGER} as e`)
      .join(`${LOTS} as o`, 'o.ledger_id', 'e.id')
      .where({ 'e.member_id': memberId, 'e.rule': rule, 'o.member_id': memberId })
      .andWhere('e.delta', '>', 0)
      .andWhere('o.earned_at', '>=', from)
      .andWhere('o.earned_at', '<', to)
      .count({ n: '*' })
      .first();
    return toInt(row?.n);
  }

  /** Whether any rule of a type (`first_purchase`, `signup` …) has ever credited this member. */
  async hasAwardOfType(memberId: number, type: string): Promise<boolean> {
    const row = await this.db(LEDGER)
      .where({ member_id: memberId })
      .andWhere('rule', 'like', `${type}:%`)
      .andWhere('delta', '>', 0)
      .first('id');
    return row !== undefined;
  }

  /** Σ delta per kind over the whole ledger (a full scan: callers cache it). */
  async totalsByKind(): Promise<Array<{ kind: string; points: number }>> {
    const rows = await this.db(LEDGER).select('kind').sum({ points: 'delta' }).groupBy('kind');
    return (rows as Array<Record<string, unknown>>).map((r) => ({ kind: String(r.kind), points: Number(r.points ?? 0) }));
  }
}
