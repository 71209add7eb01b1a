import type { Reward } from '../../plugin/domain/rewards';
import type { TestApp } from './harness';

/** A reward with only what `over` sets: else a fixed credit of 500 points worth 5.00 USD, switched on, no limits. */
export function rewardOf(over: Partial<Reward> = {}): Reward {
  return {
    id: 1,
    kind: 'credit',
    names: { en: 'A reward' },
    descriptions: {},
    costPoints: 500,
    stepPoints: null,
    minPoints: null,
    values: { USD: 500 },
    minTierRank: null,
    stock: null,
    startsAt: null,
    endsAt: null,
    limitPerMonth: null,
    limitTotal: null,
    active: true,
    promo: null,
    ...over,
  };
}

/** Adds `rewardOf(over)` to the app's catalog, as the admin editor stores one; its id. */
export async function addReward(app: TestApp, over: Partial<Reward>): Promise<number> {
  const { id: _id, ...reward } = rewardOf(over);
  const id = await app.plugin.db.repos.rewards.create(reward, null, app.clock.now());
  if (id === null) throw new Error('reward not made');
  return id;
}
