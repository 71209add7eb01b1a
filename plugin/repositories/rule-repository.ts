import type { Knex } from 'knex';
import type { StoredRule } from '../domain/rules';
import { insertOrDuplicate } from './insert-or-duplicate';
import { toDateOrNull, toInt } from './row-values';

export const RULES = 'loyalty_rules';

/** A row to store; `params` is JSON text the program service validated per type first. */
export type RuleRow = Omit<StoredRule, 'id'>;

function toStored(row: Record<string, unknown>): StoredRule {
  return {
    id: toInt(row.id),
    type: String(row.type),
    params: String(row.params),
    // SQLite and MySQL both hand booleans back as 0/1 (MySQL TINYINT may come as a string).
    active: Boolean(toInt(row.active)),
    startsAt: toDateOrNull(row.starts_at),
    endsAt: toDateOrNull(row.ends_at),
    capPoints: row.cap_points === null || row.cap_points === undefined ? null : toInt(row.cap_points),
    capPeriod: (row.cap_period as string | null) ?? null,
  };
}

function toColumns(r: Partial<RuleRow>): Record<string, unknown> {
  const cols: Record<string, unknown> = {
    type: r.type,
    params: r.params,
    active: r.active,
    starts_at: r.startsAt,
    ends_at: r.endsAt,
    cap_points: r.capPoints,
    cap_period: r.capPeriod,
  };
  return Object.fromEntries(Object.entries(cols).filter(([, v]) => v !== undefined));
}

/** Earning rules as stored; what they have given so far is read from the ledger (LedgerRepository). */
export class RuleRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async all(): Promise<StoredRule[]> {
    const rows = await this.db(RULES).orderBy('id', 'asc');
    return rows.map(toStored);
  }

  async insert(rule: RuleRow, now: Date): Promise<number> {
    const [id] = await this.db(RULES).insert({ ...toColumns(rule), created_at: now, updated_at: now });
    return toInt(id);
  }

  /**
   * Inserts a rule made by an admin form, keyed by the form's one-time key: null when a rule
   * with that key exists already (the same form posted again), nothing written then.
   */
  async insertKeyed(rule: RuleRow, formKey: string, now: Date): Promise<number | null> {
    return insertOrDuplicate(this.db(RULES).insert({ ...toColumns(rule), form_key: formKey, created_at: now, updated_at: now }));
  }

  async findByFormKey(formKey: string): Promise<StoredRule | null> {
    const row: Record<string, unknown> | undefined = await this.db(RULES).where({ form_key: formKey }).first();
    return row ? toStored(row) : null;
  }

  /**
   * With `forUpdate`, the row stays locked until the transaction ends: an admin's save merges
   * its edits over the rule as read here, and a second save waits to read what the first wrote.
   */
  async find(id: number, options: { forUpdate?: boolean } = {}): Promise<StoredRule | null> {
    const q = this.db(RULES).where({ id }).first();
    if (options.forUpdate) void q.forUpdate();
    const row: Record<string, unknown> | undefined = await q;
    return row ? toStored(row) : null;
  }

  /** Returns whether the rule exists. */
  async update(id: number, changes: Partial<RuleRow>, now: Date): Promise<boolean> {
    const n = await this.db(RULES).where({ id }).update({ ...toColumns(changes), updated_at: now });
    return n > 0;
  }
}
