import type { Money } from './money';

/**
 * pending: points taken, the panel action queued; applied: the panel did it; failed: the panel
 * refused for good and the points went back to the member, once; cancelled: an admin withdrew
 * it before its action was sent, and the points went back, once.
 */
export type RedemptionState = 'pending' | 'applied' | 'failed' | 'cancelled';
export const REDEMPTION_STATES: readonly RedemptionState[] = ['pending', 'applied', 'failed', 'cancelled'];

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
  spentLots: SpentLot[];
  createdAt: Date;
  updatedAt: Date;
}
