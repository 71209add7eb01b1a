import type { Knex } from 'knex';
import type { Tier, TierChange } from '../domain/tiers';
import { insertRowsReturningIds, selectIn, upsertAdding } from './bulk';
import { toDate, toInt } from './row-values';

export const TIERS = 'loyalty_tiers';
export const SPEND_MONTHS = 'loyalty_spend_months';
export const TIER_CHANGES = 'loyalty_tier_changes';

/** Tiers, the monthly qualifying-spend buckets and the tier-change history. */
export class TierRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * With `forUpdate`, every tier row stays locked until the transaction ends: an admin's tier
   * save merges its edits over the tiers as read here (a threshold is judged against the tiers
   * either side), and a second save waits to read what the first wrote.
   */
  async list(options: { forUpdate?: boolean } = {}): Promise<Tier[]> {
    const q = this.db(TIERS).orderBy('rank', 'asc');
    if (options.forUpdate) void q.forUpdate();
    const rows = await q;
    return rows.map((r: Record<string, unknown>) => ({
      id: toInt(r.id),
      name: String(r.name),
      rank: toInt(r.rank),
      thresholdMinor: toInt(r.threshold_minor),
      earnMultiplier: String(r.earn_multiplier),
      renewalDiscountBp: toInt(r.renewal_discount_bp),
      perks: JSON.parse(String(r.perks)) as Record<string, string[]>,
      names: r.names === null || r.names === undefined ? {} : (JSON.parse(String(r.names)) as Record<string, string>),
    }));
  }

  /** An admin's edit of a tier's threshold, multiplier, discount or displayed names; returns whether the tier exists. */
  async update(id: number, changes: Partial<Pick<Tier, 'thresholdMinor' | 'earnMultiplier' | 'renewalDiscountBp' | 'names'>>, now: Date): Promise<boolean> {
    const cols: Record<string, unknown> = {
      threshold_minor: changes.thresholdMinor,
      earn_multiplier: changes.earnMultiplier,
      renewal_discount_bp: changes.renewalDiscountBp,
      names: changes.names && JSON.stringify(changes.names),
    };
    const n = await this.db(TIERS)
      .where({ id })
      .update({ ...Object.fromEntries(Object.entries(cols).filter(([, v]) => v !== undefined)), updated_at: now });
    return n > 0;
  }

  /**
   * Adds to one month's bucket. Callers hold the member's row lock, so read-then-write here
   * can't race another writer of the same member.
   */
  async addSpend(memberId: number, month: string, deltaMinor: number): Promise<void> {
    const updated = await this.db(SPEND_MONTHS).where({ member_id: memberId, month }).increment('amount_minor', deltaMinor);
    if (updated === 0) await this.db(SPEND_MONTHS).insert({ member_id: memberId, month, amount_minor: deltaMinor });
  }

  /** `addSpend` for many (member, month) buckets, an upsert per slice (the members are locked by the caller). */
  async addSpendMany(rows: ReadonlyArray<{ memberId: number; month: string; deltaMinor: number }>): Promise<void> {
    const changed = rows.filter((r) => r.deltaMinor !== 0).map((r) => ({ member_id: r.memberId, month: r.month, amount_minor: r.deltaMinor }));
    await upsertAdding(this.db, SPEND_MONTHS, ['member_id', 'month'], 'amount_minor', changed);
  }

  /** `spendByMonth` for several members at once. */
  async spendByMonthMany(memberIds: readonly number[], months: string[]): Promise<Map<number, Array<{ month: string; amountMinor: number }>>> {
    const rows = await selectIn(memberIds, (slice) => this.db(SPEND_MONTHS).whereIn('member_id', slice).whereIn('month', months).orderBy('month').select('member_id', 'month', 'amount_minor'));
    const out = new Map<number, Array<{ month: string; amountMinor: number }>>();
    for (const r of rows as Array<Record<string, unknown>>) {
      const id = toInt(r.member_id);
      const list = out.get(id) ?? [];
      list.push({ month: String(r.month), amountMinor: toInt(r.amount_minor) });
      out.set(id, list);
    }
    return out;
  }

  /** The member's spend per month of `months` that has any, oldest first. */
  async spendByMonth(memberId: number, months: string[]): Promise<Array<{ month: string; amountMinor: number }>> {
    const rows = await this.db(SPEND_MONTHS).where({ member_id: memberId }).whereIn('month', months).orderBy('month').select('month', 'amount_minor');
    return rows.map((r: Record<string, unknown>) => ({ month: String(r.month), amountMinor: toInt(r.amount_minor) }));
  }

  async spendIn(memberId: number, months: string[]): Promise<number> {
    const row = await this.db(SPEND_MONTHS).where({ member_id: memberId }).whereIn('month', months).sum({ n: 'amount_minor' }).first();
    return toInt(row?.n);
  }

  /**
   * The spend in `months` (as `spendIn`), and the oldest of them with spend in it: when it
   * leaves the window, the total drops. One read, for the Rewards tab, which shows both.
   */
  async spendWindow(memberId: number, months: string[]): Promise<{ spendMinor: number; oldest: string | null }> {
    const row: Record<string, unknown> | undefined = await this.db(SPEND_MONTHS)
      .where({ member_id: memberId })
      .whereIn('month', months)
      .sum({ n: 'amount_minor' })
      .select(this.db.raw('MIN(CASE WHEN amount_minor > 0 THEN month END) AS m'))
      .first();
    return { spendMinor: toInt(row?.n), oldest: (row?.m as string | null | undefined) ?? null };
  }

  /** `spendWindow` for several members at once; members with no spend in `months` are left out. */
  async spendWindowMany(memberIds: readonly number[], months: string[]): Promise<Map<number, { spendMinor: number; oldest: string | null }>> {
    const rows = await selectIn(memberIds, (slice) =>
      this.db(SPEND_MONTHS)
        .whereIn('member_id', slice)
        .whereIn('month', months)
        .groupBy('member_id')
        .select('member_id')
        .sum({ n: 'amount_minor' })
        .select(this.db.raw('MIN(CASE WHEN amount_minor > 0 THEN month END) AS m')),
    );
    return new Map(
      (rows as Array<Record<string, unknown>>).map((r) => [toInt(r.member_id), { spendMinor: toInt(r.n), oldest: (r.m as string | null | undefined) ?? null }]),
    );
  }

  /**
   * The tier each of these members held at `at`, for those whose tier has changed since: the
   * tier their first later change started from. A member left out has held their current tier
   * since `at`. Reads their changes by the (member_id, id) index: few per member.
   */
  async tiersHeldAt(memberIds: readonly number[], at: Date): Promise<Map<number, number | null>> {
    const rows = await selectIn(memberIds, (slice) =>
      this.db(`${TIER_CHANGES} as c`)
        .join(
          this.db(TIER_CHANGES).whereIn('member_id', slice).andWhere('created_at', '>', at).groupBy('member_id').select('member_id').min({ first: 'id' }).as('f'),
          'f.first',
          'c.id',
        )
        .select('c.member_id', 'c.from_tier_id'),
    );
    return new Map((rows as Array<Record<string, unknown>>).map((r) => [toInt(r.member_id), r.from_tier_id === null || r.from_tier_id === undefined ? null : toInt(r.from_tier_id)]));
  }

  async recordChange(memberId: number, change: TierChange): Promise<number> {
    const [id] = await this.db(TIER_CHANGES).insert({
      member_id: memberId,
      from_tier_id: change.fromTierId,
      to_tier_id: change.toTierId,
      reason: change.reason,
      qualifying_minor: change.qualifyingMinor,
      created_at: change.createdAt,
    });
    return toInt(id);
  }

  /** Several members' tier changes (members the caller holds locked); returns their ids in order. */
  async recordChangesMany(changes: ReadonlyArray<TierChange & { memberId: number }>): Promise<number[]> {
    return insertRowsReturningIds(
      this.db,
      TIER_CHANGES,
      changes.map((c) => ({
        member_id: c.memberId,
        from_tier_id: c.fromTierId,
        to_tier_id: c.toTierId,
        reason: c.reason,
        qualifying_minor: c.qualifyingMinor,
        created_at: c.createdAt,
      })),
    );
  }

  async changesFor(memberId: number, limit: number): Promise<TierChange[]> {
    const rows = await this.db(TIER_CHANGES).where({ member_id: memberId }).orderBy('id', 'desc').limit(limit);
    return rows.map((r: Record<string, unknown>) => ({
      fromTierId: r.from_tier_id === null ? null : toInt(r.from_tier_id),
      toTierId: toInt(r.to_tier_id),
      reason: String(r.reason),
      qualifyingMinor: toInt(r.qualifying_minor),
      createdAt: toDate(r.created_at),
    }));
  }
}
