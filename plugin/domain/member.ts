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
}

export type ServiceSummary = Pick<Member, 'servicesActive' | 'servicesSuspended' | 'firstServiceAt' | 'suspendedSince'>;

/** What `client.updated` may change about a member. */
export type MemberProfile = Partial<Pick<Member, 'email' | 'name' | 'locale' | 'currency' | 'birthday' | 'status'>>;

export type MemberBalances = Pick<Member, 'pointsAvailable' | 'pointsPending' | 'pointsLifetime'>;
