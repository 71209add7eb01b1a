import type { ClientInfo } from '../domain/billing-event';
import type { MemberProfile } from '../domain/member';
import type { Tx } from '../db/unit-of-work';
import type { MemberAccount } from './member-account';
import type { UseCaseContext, UseCaseResult } from './use-case-context';

/**
 * `client.updated`: the member's email, name, locale, currency, birthday and panel status, for
 * the fields the event carries (an absent field is left as it is). Points are never converted:
 * a currency change applies to what is earned from then on, since balances are points, not
 * money. A status of `inactive` or `closed` is kept on the member and blocks redemption
 * (`redemptionBlock` in domain/member.ts). Updates apply in `occurred_at` order: one older than
 * the last applied is answered `out_of_order` and changes nothing.
 */
export class ClientService {
  async updated(tx: Tx, account: MemberAccount, input: UseCaseContext & { client: ClientInfo; occurredAt: Date }): Promise<UseCaseResult> {
    const before = account.member;
    const { client } = input;
    const at = input.occurredAt < tx.now ? input.occurredAt : tx.now;
    // An older update delivered after a newer one must not undo it.
    if (before.profileAt && at < before.profileAt) return { outcome: 'applied', points: 0, detail: 'out_of_order' };
    const wanted: MemberProfile = {
      email: client.email,
      name: client.name,
      locale: client.locale,
      currency: client.currency,
      birthday: client.birthday,
      status: client.status,
    };
    const changed = Object.fromEntries(
      Object.entries(wanted).filter(([key, value]) => value !== undefined && value !== before[key as keyof MemberProfile]),
    ) as MemberProfile;
    const fields = Object.keys(changed);
    if (fields.length === 0) {
      await account.setProfile({ profileAt: at });
      return { outcome: 'applied', points: 0, detail: 'unchanged' };
    }
    await account.setProfile({ ...changed, profileAt: at });
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
        occurredAt: at,
      },
      tx.now,
    );
    return { outcome: 'applied', points: 0, detail: `updated:${fields.join(',')}` };
  }
}
