import type { ClientInfo } from '../domain/billing-event';
import { profileChange, type ProfileEvent } from '../domain/member';
import type { Tx } from '../db/unit-of-work';
import type { EarningService } from './earning-service';
import type { MemberAccount } from './member-account';
import type { UseCaseContext, UseCaseResult } from './use-case-context';

type ClientInput = UseCaseContext & { client: ClientInfo; occurredAt: Date };

/**
 * The client's profile: email, name, locale, currency, birthday and panel status, for the fields
 * an event carries (an absent field is left as it is). Points are never converted: a currency
 * change applies to what is earned from then on, since balances are points, not money. A status
 * of `inactive` or `closed` is kept on the member and blocks redemption (`redemptionBlock` in
 * domain/member.ts). Profile events apply in their own `occurred_at` order, even dated ahead of
 * our clock (`profileChange` in domain/member.ts).
 */
export class ClientService {
  constructor(private readonly earning: EarningService) {}

  /**
   * `client.created`: the event service has enrolled the client (from this event's client block,
   * or earlier from another event's); its profile fills what an earlier-delivered event left out,
   * and the signup bonus, if on, is theirs once.
   */
  async created(tx: Tx, account: MemberAccount, input: ClientInput): Promise<UseCaseResult> {
    await this.apply(tx, account, input, 'client.created');
    return {
      outcome: 'applied',
      points: await this.earning.awardSignup(tx, account, input),
      detail: account.enrolled ? 'enrolled' : 'already_enrolled',
    };
  }

  /** `client.updated`: one older than the last profile applied is answered `out_of_order` and changes nothing. */
  async updated(tx: Tx, account: MemberAccount, input: ClientInput): Promise<UseCaseResult> {
    const fields = await this.apply(tx, account, input, 'client.updated');
    if (fields === null) return { outcome: 'applied', points: 0, detail: 'out_of_order' };
    if (fields.length === 0) return { outcome: 'applied', points: 0, detail: 'unchanged' };
    return { outcome: 'applied', points: 0, detail: `updated:${fields.join(',')}` };
  }

  /** Applies what the event changes, recorded in the member's history; the fields changed, or null when out of order. */
  private async apply(tx: Tx, account: MemberAccount, input: ClientInput, type: ProfileEvent): Promise<string[] | null> {
    const before = account.member;
    const change = profileChange(before, input.client, input.occurredAt, type);
    if (!change) return null;
    const { changed, profileAt } = change;
    const fields = Object.keys(changed);
    if (fields.length === 0 && before.profileAt?.getTime() === profileAt.getTime()) return fields;
    await account.setProfile({ ...changed, profileAt });
    if (fields.length === 0) return fields;
    await tx.repos.history.append(
      {
        memberId: before.id,
        kind: 'client_updated',
        details: {
          fields: fields.join(','),
          ...(changed.currency !== undefined && { currency_from: before.currency, currency_to: changed.currency }),
          ...(changed.status !== undefined && { status_from: before.status, status_to: changed.status }),
        },
        eventId: input.eventId,
        // The event's own instant, as `profileAt`: what orders profile events.
        occurredAt: input.occurredAt,
      },
      tx.now,
    );
    return fields;
  }
}
