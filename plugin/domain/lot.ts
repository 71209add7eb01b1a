/** A lot is the remainder of one earn: spent FIFO, pending until its refund window passes. */
export interface NewLot {
  memberId: number;
  ledgerId: number;
  points: number;
  /** Less than `points` when part of the earn paid off a debt. */
  remaining: number;
  pending: boolean;
  earnedAt: Date;
  availableAt: Date;
  expiresAt: Date | null;
}

export interface Lot {
  id: number;
  ledgerId: number;
  points: number;
  remaining: number;
  pending: boolean;
  earnedAt: Date;
  availableAt: Date;
  expiresAt: Date | null;
}
