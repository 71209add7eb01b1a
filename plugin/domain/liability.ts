import { rewardInForce, type Reward } from './rewards';

/**
 * What outstanding points are worth in money, per currency, "at the credit conversion": the
 * rewards catalog's credit rewards say how much account credit a point buys in each currency
 * (a fixed reward: its value over its cost; a flexible one: one step's value over the step).
 * Where several credit rewards are on offer, the one paying most per point sets the rate, so
 * the figure is the most the program could owe if every point were redeemed as credit now. A
 * currency no credit reward in force pays in has no rate: its liability is unknown, not zero.
 */
export interface CreditRate {
  /** Minor units of credit … */
  minor: number;
  /** … per this many points. */
  points: number;
}

/** The best credit rate per currency among the rewards in force `at` (switched on, inside their window). */
export function creditRates(rewards: readonly Reward[], at: Date): Map<string, CreditRate> {
  const best = new Map<string, CreditRate>();
  for (const reward of rewards) {
    if (reward.kind !== 'credit' || !rewardInForce(reward, at)) continue;
    const points = reward.costPoints ?? reward.stepPoints;
    if (points === null || points <= 0) continue;
    for (const [currency, minor] of Object.entries(reward.values)) {
      if (!Number.isSafeInteger(minor) || minor <= 0) continue;
      const held = best.get(currency);
      // minor/points > held.minor/held.points, compared exactly in integers.
      if (!held || BigInt(minor) * BigInt(held.points) > BigInt(held.minor) * BigInt(points)) best.set(currency, { minor, points });
    }
  }
  return best;
}

/** Outstanding points as money at a rate, rounded down to whole minor units (exact, in bigints). */
export function liabilityMinor(points: number, rate: CreditRate): number {
  if (points <= 0) return 0;
  return Number((BigInt(points) * BigInt(rate.minor)) / BigInt(rate.points));
}
