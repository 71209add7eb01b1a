import type { Repositories } from '../repositories';
import type { LedgerKind } from '../repositories/ledger-repository';
import type { Member } from '../repositories/member-repository';

export interface Credit {
  points: number;
  kind: Extract<LedgerKind, 'earn' | 'bonus'>;
  reasonCode: string;
  reasonParams?: Record<string, string | number>;
  rule?: string;
  reference?: string;
  eventId?: number;
  actor: string;
  earnedAt: Date;
  availableAt: Date;
  expiresAt: Date | null;
  now: Date;
}

/**
 * The only code that moves points. Callers hold the member's row lock (MemberService
 * .enrolLocked), so the balance read from `member` is the committed one and the ledger entry,
 * the lot and the cached balance are written together in the caller's transaction.
 */
export class LedgerService {
  async credit(repos: Repositories, member: Member, c: Credit): Promise<Member> {
    if (!Number.isSafeInteger(c.points) || c.points <= 0) throw new Error(`credit needs positive points, got ${c.points}`);
    const pending = c.availableAt > c.now;
    const next: Member = {
      ...member,
      pointsAvailable: member.pointsAvailable + (pending ? 0 : c.points),
      pointsPending: member.pointsPending + (pending ? c.points : 0),
      pointsLifetime: member.pointsLifetime + c.points,
    };
    const ledgerId = await repos.ledger.append({
      memberId: member.id,
      delta: c.points,
      kind: c.kind,
      reasonCode: c.reasonCode,
      reasonParams: c.reasonParams,
      rule: c.rule,
      reference: c.reference,
      eventId: c.eventId,
      actor: c.actor,
      balanceAfter: next.pointsAvailable + next.pointsPending,
      createdAt: c.now,
    });
    await repos.lots.insert({
      memberId: member.id,
      ledgerId,
      points: c.points,
      earnedAt: c.earnedAt,
      availableAt: c.availableAt,
      expiresAt: c.expiresAt,
    });
    await repos.members.setBalances(member.id, next, c.now);
    return next;
  }
}
