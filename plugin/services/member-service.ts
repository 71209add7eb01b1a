import { randomInt } from 'node:crypto';
import type { ClientInfo } from '../domain/billing-event';
import type { Repositories } from '../repositories';
import type { Member } from '../domain/member';

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function referralCode(): string {
  let code = '';
  for (let i = 0; i < 10; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

export class MemberService {
  /**
   * Returns the member for a panel client, enrolling them from the event's client block when
   * they are new, and holds their row lock for the rest of the transaction.
   */
  async enrolLocked(repos: Repositories, client: ClientInfo, now: Date): Promise<{ member: Member; enrolled: boolean }> {
    const existing = await repos.members.findByPanelClientId(client.id, { forUpdate: true });
    if (existing) return { member: existing, enrolled: false };
    // A clash is either a concurrent enrolment of the same client (read it back) or, at 50
    // bits, an all but impossible referral-code collision (try another code).
    for (let attempt = 0; attempt < 3; attempt++) {
      const fresh = {
        panelClientId: client.id,
        email: client.email,
        name: client.name,
        locale: client.locale,
        currency: client.currency,
        birthday: client.birthday,
        referralCode: referralCode(),
        joinedAt: now,
      };
      const id = await repos.members.insert(fresh);
      if (id !== null) {
        return {
          enrolled: true,
          member: {
            ...fresh,
            id,
            email: fresh.email ?? null,
            name: fresh.name ?? null,
            locale: fresh.locale ?? null,
            currency: fresh.currency ?? null,
            birthday: fresh.birthday ?? null,
            pointsAvailable: 0,
            pointsPending: 0,
            pointsLifetime: 0,
            status: 'active',
            tierId: null,
            tierBelowSince: null,
          },
        };
      }
      const raced = await repos.members.findByPanelClientId(client.id, { forUpdate: true });
      if (raced) return { member: raced, enrolled: false };
    }
    throw new Error(`Could not enrol panel client ${client.id}: repeated key conflicts`);
  }
}
