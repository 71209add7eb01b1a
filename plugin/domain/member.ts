/** A loyalty member: one per panel client, with cached balances kept equal to the ledger. */
export interface Member {
  id: number;
  panelClientId: string;
  email: string | null;
  name: string | null;
  locale: string | null;
  currency: string | null;
  birthday: string | null;
  pointsAvailable: number;
  pointsPending: number;
  pointsLifetime: number;
  status: string;
  referralCode: string;
  joinedAt: Date;
  tierId: number | null;
  /** Since when qualifying spend has been below the tier's threshold; null while it isn't. */
  tierBelowSince: Date | null;
  /** When the tier review should next look at this member's spend (domain/tiers.ts `tierRecheckAt`). */
  tierRecheckAt: Date | null;
}

export type MemberBalances = Pick<Member, 'pointsAvailable' | 'pointsPending' | 'pointsLifetime'>;
