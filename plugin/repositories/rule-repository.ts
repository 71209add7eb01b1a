import type { Knex } from 'knex';
import type { StoredRule } from '../domain/rules';
import { LEDGER } from './ledger-repository';
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

/**
 * Earning rules, and the ledger reads that rules need: how much a rule has already given a
 * member this cap period, and whether a once-per-member bonus was given. Those reads run under
 * the member's row lock, so "check, then credit" cannot race with another event of theirs.
 */
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

  /** Returns whether the rule exists. */
  async update(id: number, changes: Partial<RuleRow>, now: Date): Promise<boolean> {
    const n = await this.db(RULES).where({ id }).update({ ...toColumns(changes), updated_at: now });
    return n > 0;
  }

  async find(id: number): Promise<StoredRule | null> {
    const row = await this.db(RULES).where({ id }).first();
    return row ? toStored(row) : null;
  }

  /**
   * Points a rule credited to a member in [from, to), by ledger time. Reversals don't give cap
   * room back: buying and refunding must not reset a cap. Served by loyalty_ledger_member_rule_idx.
   */
  async awardedBetween(memberId: number, rule: string, from: Date, to: Date): Promise<number> {
    const row = await this.db(LEDGER)
      .where({ member_id: memberId, rule })
      .andWhere('created_at', '>=', from)
      .andWhere('created_at', '<', to)
      .andWhere('delta', '>', 0)
      .sum({ n: 'delta' })
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

  /** Whether an invoice of this member has earned before (any award referencing an invoice). */
  async hasInvoiceEarn(memberId: number): Promise<boolean> {
    const row = await this.db(LEDGER)
      .where({ member_id: memberId })
      .andWhere('reference', 'like', 'invoice:%')
      .andWhere('delta', '>', 0)
      .first('id');
    return row !== undefined;
  }
}
