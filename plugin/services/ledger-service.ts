import { debtOf, planDraw, planRelease } from '../domain/reversal';
import type { Repositories } from '../repositories';
import type { LedgerKind } from '../domain/ledger';
import type { Member } from '../domain/member';

/** What every ledger entry says about itself: why, under which rule, for what, by whom. */
interface EntryFields {
  points: number;
  reasonCode: string;
  reasonParams?: Record<string, string | number>;
  rule?: string;
  reference?: string;
  eventId?: number;
  actor: string;
  now: Date;
}

export interface Credit extends EntryFields {
  kind: Extract<LedgerKind, 'earn' | 'bonus'>;
  earnedAt: Date;
  /** Later than `now` makes the points pending until then. */
  availableAt: Date;
  expiresAt: Date | null;
}

export interface Debit extends EntryFields {
  kind: Extract<LedgerKind, 'reverse' | 'adjust'>;
  /** Lots to draw from first among pending ones: the reversed invoice's own earns. */
  ownLedgerIds?: ReadonlySet<number>;
  /** Whether the debit lowers lifetime points (a reversed earn does; a penalty doesn't). */
  reducesLifetime: boolean;
  debtPolicy: 'debt' | 'write_off';
}

export interface DebitResult {
  member: Member;
  fromPending: number;
  fromAvailable: number;
  /** Points that were already spent. */
  shortfall: number;
  writtenOff: number;
}

/**
 * The only code that moves points. Callers hold the member's row lock (MemberService
 * .enrolLocked), so the balance read from `member` is the committed one, and the ledger
 * entries, the lots and the cached balances are written together in the caller's transaction.
 */
export class LedgerService {
  async credit(repos: Repositories, member: Member, c: Credit): Promise<Member> {
    if (!Number.isSafeInteger(c.points) || c.points <= 0) throw new Error(`credit needs positive points, got ${c.points}`);
    const pending = c.availableAt > c.now;
    // Spendable points pay off a debt first; pending ones do so when they are released.
    const netted = pending ? 0 : Math.min(c.points, debtOf(member.pointsAvailable));
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
      remaining: c.points - netted,
      pending,
      earnedAt: c.earnedAt,
      availableAt: c.availableAt,
      expiresAt: c.expiresAt,
    });
    await repos.members.setBalances(member.id, next, c.now);
    return next;
  }

  /**
   * Takes points back: pending first, then available. What was already spent leaves a debt
   * (a negative available balance) or, under the write-off policy, is recorded as a loss by a
   * second entry that brings the balance back to zero: the ledger stays append-only either way.
   */
  async debit(repos: Repositories, member: Member, d: Debit): Promise<DebitResult> {
    if (!Number.isSafeInteger(d.points) || d.points <= 0) throw new Error(`debit needs positive points, got ${d.points}`);
    const plan = planDraw(await repos.lots.withRemaining(member.id), d.points, d.ownLedgerIds);
    for (const draw of plan.draws) await repos.lots.setRemaining(draw.lotId, draw.remainingAfter, draw.pending && draw.remainingAfter > 0);
    let next: Member = {
      ...member,
      pointsPending: member.pointsPending - plan.fromPending,
      pointsAvailable: member.pointsAvailable - plan.fromAvailable - plan.shortfall,
      pointsLifetime: d.reducesLifetime ? Math.max(0, member.pointsLifetime - d.points) : member.pointsLifetime,
    };
    await repos.ledger.append({
      memberId: member.id,
      delta: -d.points,
      kind: d.kind,
      reasonCode: d.reasonCode,
      reasonParams: d.reasonParams,
      rule: d.rule,
      reference: d.reference,
      eventId: d.eventId,
      actor: d.actor,
      balanceAfter: next.pointsAvailable + next.pointsPending,
      createdAt: d.now,
    });
    // Only the part of the shortfall that went below zero is a loss: a debit can also deepen
    // an existing debt, and that older debt is not ours to forgive here.
    const writtenOff = d.debtPolicy === 'write_off' ? Math.min(plan.shortfall, debtOf(next.pointsAvailable)) : 0;
    if (writtenOff > 0) {
      next = { ...next, pointsAvailable: next.pointsAvailable + writtenOff };
      await repos.ledger.append({
        memberId: member.id,
        delta: writtenOff,
        kind: 'adjust',
        reasonCode: 'debt_written_off',
        reasonParams: { points: writtenOff },
        reference: d.reference,
        eventId: d.eventId,
        actor: 'system',
        balanceAfter: next.pointsAvailable + next.pointsPending,
        createdAt: d.now,
      });
    }
    await repos.members.setBalances(member.id, next, d.now);
    return { member: next, fromPending: plan.fromPending, fromAvailable: plan.fromAvailable, shortfall: plan.shortfall, writtenOff };
  }

  /** Moves pending lots whose refund window has passed into the spendable balance. */
  async releaseDue(repos: Repositories, member: Member, now: Date): Promise<Member> {
    if (member.pointsPending === 0) return member;
    const due = await repos.lots.dueForRelease(member.id, now);
    if (due.length === 0) return member;
    const plan = planRelease(due, debtOf(member.pointsAvailable));
    for (const lot of plan.lots) await repos.lots.setRemaining(lot.lotId, lot.remainingAfter, false);
    const next: Member = {
      ...member,
      pointsAvailable: member.pointsAvailable + plan.released,
      pointsPending: member.pointsPending - plan.released,
    };
    await repos.ledger.append({
      memberId: member.id,
      delta: 0,
      kind: 'release',
      reasonCode: 'points_released',
      reasonParams: { points: plan.released },
      actor: 'system',
      balanceAfter: next.pointsAvailable + next.pointsPending,
      createdAt: now,
    });
    await repos.members.setBalances(member.id, next, now);
    return next;
  }
}
