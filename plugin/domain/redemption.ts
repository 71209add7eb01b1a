import type { Money } from './money';
import type { Reward } from './rewards';
import { localized } from './tiers';

/**
 * pending: points taken, the panel action queued; applied: the panel did it; failed: the panel
 * refused for good and the points went back to the member, once; cancelled: an admin withdrew
 * it before its action was sent, and the points went back, once.
 */
export type RedemptionState = 'pending' | 'applied' | 'failed' | 'cancelled';
export const REDEMPTION_STATES: readonly RedemptionState[] = ['pending', 'applied', 'failed', 'cancelled'];

/**
 * What a redemption's code gives, as the redemption made it and its `promo.create` action
 * carries it: a percentage, or an amount in the member's currency, and when it stops working.
 */
export interface CodeTerms {
  discount: { type: 'percent'; percent: number } | { type: 'amount'; amount: Money };
  /** Null: the code has no end. */
  expiresAt: Date | null;
}

/** What a redemption took from one lot, kept so a failure can give the points back as they were. */
export interface SpentLot {
  points: number;
  earnedAt: Date;
  expiresAt: Date | null;
}

export interface Redemption {
  id: number;
  memberId: number;
  rewardId: number;
  /**
   * The reward's names by language when it was made, so renaming the reward later does not
   * rewrite it; null for redemptions made before they were kept (see `rewardNameOf`).
   */
  rewardNames: Record<string, string> | null;
  points: number;
  value: Money;
  state: RedemptionState;
  /** The member's one-time key from the confirmation form: a repeat returns this redemption. */
  idempotencyKey: string;
  /** The key of the panel action in the outbox. */
  actionKey: string;
  panelReference: string | null;
  /** The promo code this redemption created, for a reward delivered as one. */
  code: string | null;
  /**
   * What that code gives and until when; null with no code, and for codes made before the
   * terms were kept whose action could not be read back (migration 20261211120010).
   */
  codeTerms: CodeTerms | null;
  spentLots: SpentLot[];
  /**
   * Whether it holds a unit of its reward's stock: false when the reward was unlimited then (and
   * for redemptions made before this was kept), so a failure or cancellation gives back only a
   * unit it took.
   */
  tookStock: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The reward's name as a redemption shows it, in the first of `languages` there is (`localized`):
 * from the names kept when it was made, else (made before they were kept) from the reward as it
 * is now; its id when there is neither.
 */
export function rewardNameOf(redemption: Pick<Redemption, 'rewardId' | 'rewardNames'>, reward: Pick<Reward, 'names'> | null, languages: readonly string[]): string {
  const names = redemption.rewardNames ?? reward?.names;
  return (names && localized(names, languages)) ?? `#${redemption.rewardId}`;
}
