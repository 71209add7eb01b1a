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
  /** Services not cancelled (suspended ones included), and of them the suspended ones. */
  servicesActive: number;
  servicesSuspended: number;
  /** Tenure: when the member's first service started. */
  firstServiceAt: Date | null;
  /** Since when at least one service has been suspended; null while none is. */
  suspendedSince: Date | null;
  /** The instant of the last `client.updated` applied. */
  profileAt: Date | null;
  /** When the tier review should next look at this member's spend (domain/tiers.ts `tierRecheckAt`). */
  tierRecheckAt: Date | null;
}

export type ServiceSummary = Pick<Member, 'servicesActive' | 'servicesSuspended' | 'firstServiceAt' | 'suspendedSince'>;

/** What `client.updated` may change about a member. */
export type MemberProfile = Partial<Pick<Member, 'email' | 'name' | 'locale' | 'currency' | 'birthday' | 'status' | 'profileAt'>>;

/**
 * Why a member may not redeem points now, or null: a panel status of `inactive` or `closed`
 * (client.updated), or a debt from reversals still to be earned back (DESIGN §5.3).
 */
export function redemptionBlock(member: Pick<Member, 'status' | 'pointsAvailable'>): 'client_closed' | 'client_inactive' | 'in_debt' | null {
  if (member.status === 'closed') return 'client_closed';
  if (member.status === 'inactive') return 'client_inactive';
  if (member.pointsAvailable < 0) return 'in_debt';
  return null;
}

export type MemberBalances = Pick<Member, 'pointsAvailable' | 'pointsPending' | 'pointsLifetime'>;
