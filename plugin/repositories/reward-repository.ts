import type { Knex } from 'knex';
import { REWARD_KINDS, type PromoSpec, type Reward, type RewardKind } from '../domain/rewards';
import { insertOrDuplicate } from './insert-or-duplicate';
import { toDateOrNull, toInt } from './row-values';

export const REWARDS = 'loyalty_rewards';

const intOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : toInt(v));

function kindOf(value: unknown): RewardKind {
  const kind = String(value);
  if (!(REWARD_KINDS as readonly string[]).includes(kind)) throw new Error(`Reward kind ${kind} is not one this version knows`);
  return kind as RewardKind;
}

function toReward(row: Record<string, unknown>): Reward {
  return {
    id: toInt(row.id),
    kind: kindOf(row.kind),
    names: JSON.parse(String(row.names)) as Record<string, string>,
    descriptions: JSON.parse(String(row.descriptions)) as Record<string, string>,
    costPoints: intOrNull(row.cost_points),
    stepPoints: intOrNull(row.step_points),
    minPoints: intOrNull(row.min_points),
    values: JSON.parse(String(row.values)) as Record<string, number>,
    minTierRank: intOrNull(row.min_tier_rank),
    stock: intOrNull(row.stock),
    startsAt: toDateOrNull(row.starts_at),
    endsAt: toDateOrNull(row.ends_at),
    limitPerMonth: intOrNull(row.limit_per_month),
    limitTotal: intOrNull(row.limit_total),
    active: Boolean(toInt(row.active)),
    promo: row.promo ? (JSON.parse(String(row.promo)) as PromoSpec) : null,
  };
}

export class RewardRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async list(): Promise<Reward[]> {
    const rows = await this.db(REWARDS).orderBy('id', 'asc');
    return rows.map(toReward);
  }

  /**
   * With `forUpdate`, the row stays locked until the transaction ends: an owner's save reads
   * the stock it compares against under the same lock redemptions take it with.
   */
  async find(id: number, options: { forUpdate?: boolean } = {}): Promise<Reward | null> {
    const q = this.db(REWARDS).where({ id }).first();
    if (options.forUpdate) void q.forUpdate();
    const row = await q;
    return row ? toReward(row) : null;
  }

  /** The reward an admin form with this one-time key made, if it made one. */
  async findByFormKey(formKey: string): Promise<Reward | null> {
    const row = await this.db(REWARDS).where({ form_key: formKey }).first();
    return row ? toReward(row) : null;
  }

  /** Adds a reward; null when a reward already carries this form key (the form was posted before). */
  async create(reward: RewardFields & Pick<Reward, 'kind'>, formKey: string | null, now: Date): Promise<number | null> {
    return insertOrDuplicate(this.db(REWARDS).insert({ ...columnsOf(reward), kind: reward.kind, form_key: formKey, created_at: now, updated_at: now }));
  }
  /**
   * Takes one unit of stock if any is left: one conditional UPDATE checked by affected rows,
   * so two members redeeming the last unit at once can't both get it (DESIGN §10). `unit`: one
   * was taken; `unlimited`: the reward has no stock to take (null), nothing changed; null:
   * none left. The redemption keeps which, so only a unit taken is ever given back.
   */
  async takeStock(id: number): Promise<'unit' | 'unlimited' | null> {
    const n = await this.db(REWARDS).where({ id }).whereNotNull('stock').andWhere('stock', '>', 0).decrement('stock', 1);
    if (n === 1) return 'unit';
    const row = await this.db(REWARDS).where({ id }).first('stock');
    return row !== undefined && row.stock === null ? 'unlimited' : null;
  }

  /**
   * Gives back the unit a failed or cancelled redemption took (callers check it took one). A
   * reward made unlimited meanwhile stays unlimited.
   */
  async returnStock(id: number): Promise<void> {
    await this.db(REWARDS).where({ id }).whereNotNull('stock').increment('stock', 1);
  }

  /** Changes the given fields (the admin area's catalog edits, and tests'); a reward's kind stays what it was made as. */
  async update(id: number, changes: Partial<RewardFields>, now: Date): Promise<void> {
    await this.db(REWARDS).where({ id }).update({ ...columnsOf(changes), updated_at: now });
  }
}

/** Everything about a reward but its id and kind. */
export type RewardFields = Omit<Reward, 'id' | 'kind'>;

const json = (v: unknown): string | undefined => (v === undefined ? undefined : JSON.stringify(v));

/** The columns of the fields given; a field left out is no column, so it stays as stored. */
function columnsOf(r: Partial<RewardFields>): Record<string, unknown> {
  const cols: Record<string, unknown> = {
    names: json(r.names),
    descriptions: json(r.descriptions),
    cost_points: r.costPoints,
    step_points: r.stepPoints,
    min_points: r.minPoints,
    values: json(r.values),
    min_tier_rank: r.minTierRank,
    stock: r.stock,
    starts_at: r.startsAt,
    ends_at: r.endsAt,
    limit_per_month: r.limitPerMonth,
    limit_total: r.limitTotal,
    active: r.active,
    promo: r.promo === undefined ? undefined : r.promo === null ? null : JSON.stringify(r.promo),
  };
  return Object.fromEntries(Object.entries(cols).filter(([, v]) => v !== undefined));
}
