import type { ClientInfo } from './billing-event';

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
  /**
   * The `occurred_at` of the newest profile event applied (`client.updated`, `client.created`),
   * as the event gave it, even ahead of our clock: an older one can't undo it.
   */
  profileAt: Date | null;
  /** When the tier review should next look at this member's spend (domain/tiers.ts `tierRecheckAt`). */
  tierRecheckAt: Date | null;
}

export type ServiceSummary = Pick<Member, 'servicesActive' | 'servicesSuspended' | 'firstServiceAt' | 'suspendedSince'>;

/** What `client.updated` may change about a member. */
export type MemberProfile = Partial<Pick<Member, 'email' | 'name' | 'locale' | 'currency' | 'birthday' | 'status' | 'profileAt'>>;

/** The events that carry a client's profile. */
export type ProfileEvent = 'client.created' | 'client.updated';

/**
 * What a profile event sent at `at` (its own `occurred_at`) changes about a member: the fields it
 * carries that differ, and the member's `profileAt` after it; null for an update out of order
 * (DESIGN §5.1: the same events, in any order, leave the same profile).
 *
 * - `client.updated` older than `profileAt` is out of order: a newer update must not be undone.
 * - `client.created` is the account as it was opened: it fills what the member lacks (an
 *   earlier-delivered event may have enrolled them from a client block with only an id), and
 *   sets the rest, as an update does, unless an update at least as new was applied (a tie goes
 *   to the update: a panel may fire both in the same second). The currency too, as an update
 *   sets it (points are never converted): were a currency the member has kept, a `client.created`
 *   delivered after an invoice would leave the invoice's client block's currency, and one
 *   delivered before it its own.
 */
export function profileChange(member: Member, client: ClientInfo, at: Date, type: ProfileEvent): { changed: MemberProfile; profileAt: Date } | null {
  const creation = type === 'client.created';
  const older = member.profileAt !== null && (creation ? at <= member.profileAt : at < member.profileAt);
  if (older && !creation) return null;
  const sent: MemberProfile = { email: client.email, name: client.name, locale: client.locale, currency: client.currency, birthday: client.birthday, status: client.status };
  const takes = (key: keyof MemberProfile): boolean => {
    const value = sent[key];
    const current = member[key];
    return value !== undefined && value !== current && (!older || current === null);
  };
  const changed = Object.fromEntries(Object.entries(sent).filter(([key]) => takes(key as keyof MemberProfile))) as MemberProfile;
  return { changed, profileAt: older && member.profileAt ? member.profileAt : at };
}

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
