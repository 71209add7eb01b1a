import type { Knex } from 'knex';
import { REWARD_KINDS, type PromoSpec, type Reward, type RewardKind } from '../domain/rewards';
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

  async find(id: number): Promise<Reward | null> {
    const row = await this.db(REWARDS).where({ id }).first();
    return row ? toReward(row) : null;
  }

  /**
   * Takes one unit of stock if any is left: one conditional UPDATE checked by affected rows,
   * so two members redeeming the last unit at once can't both get it (DESIGN §10). Unlimited
   * rewards (stock null) always succeed.
   */
  async takeStock(id: number): Promise<boolean> {
    const n = await this.db(REWARDS).where({ id }).whereNotNull('stock').andWhere('stock', '>', 0).decrement('stock', 1);
    if (n === 1) return true;
    const row = await this.db(REWARDS).where({ id }).first('stock');
    return row !== undefined && row.stock === null;
  }

  /** Gives a unit back when a redemption fails. */
  async returnStock(id: number): Promise<void> {
    await this.db(REWARDS).where({ id }).whereNotNull('stock').increment('stock', 1);
  }

  /** The admin area's catalog edits (and tests'). */
  async update(id: number, changes: Partial<Pick<Reward, 'active' | 'stock' | 'limitPerMonth' | 'limitTotal' | 'minTierRank' | 'costPoints'>>, now: Date): Promise<void> {
    const cols: Record<string, unknown> = {
      active: changes.active,
      stock: changes.stock,
      limit_per_month: changes.limitPerMonth,
      limit_total: changes.limitTotal,
      min_tier_rank: changes.minTierRank,
      cost_points: changes.costPoints,
    };
    await this.db(REWARDS)
      .where({ id })
      .update({ ...Object.fromEntries(Object.entries(cols).filter(([, v]) => v !== undefined)), updated_at: now });
  }
}
