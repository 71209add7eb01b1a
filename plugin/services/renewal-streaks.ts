import type { ServiceInfo } from '../domain/billing-event';
import { milestoneKey, milestonesAt, ruleKey, settleStreakBonuses, streakMilestones, type ReachedMilestone, type StreakBonus, type StreakSettlement } from '../domain/rules';
import type { HistoryEntry, ServiceChanges, ServiceRecord } from '../domain/service-record';
import { countsOf, cycleMonths, extendStreak, isOnTime, renewalPeriod, runAfter, runsOf, sortsBefore, type RenewalRecord, type StreakCounts } from '../domain/service-streak';
import type { Tx } from '../db/unit-of-work';
import { earningPause, type EarningService } from './earning-service';
import type { MemberAccount } from './member-account';
import type { UseCaseContext, UseCaseResult } from './use-case-context';

type RenewalInput = UseCaseContext & { service: ServiceInfo; occurredAt: Date };

/** What a renewal did: the event's answer, and what the member's history records. */
export interface RenewalOutcome {
  result: UseCaseResult;
  details: HistoryEntry['details'];
}

/**
 * Renewal streaks (domain/service-streak.ts): each renewed period of a service is kept, and the
 * streak and its bonuses follow from the set kept, not from the delivery order.
 *
 * A renewal that sorts after every other one (the usual case) extends the count on the
 * service's row and pays what it reaches: a read of the newest renewal and an insert. One that
 * sorts before others replays the stretch between the late renewals around it (the run it
 * lands in: the service's recent renewals, not its history) and settles that stretch's bonuses
 * to what it now reaches: a milestone newly reached is paid; one no longer reached moves to a
 * milestone of the same rule reached in its place, or is taken back.
 *
 * Taking back: a late renewal delivered after a streak it breaks was paid. In order, the streak
 * would never have reached the bonus, so a billing admin reconciling the ledger with the panel's
 * renewal history expects the rule's verdict on that history, the same whatever the order the
 * panel sent it in. The bonus is taken back by a new `reverse` entry naming the late renewal (the
 * ledger stays append-only), pending points first and then spendable ones, with the program's
 * debt policy for points already spent, as any reversal. It is bounded and once: it takes back
 * what that milestone paid, only while the milestone holds it (its row says so under the
 * member's lock), and the inbox keeps a redelivery out. Where the broken streak's remainder
 * still reaches the rule, the bonus moves there instead and no entry is written.
 *
 * Limits: a replay judges the stretch it replays by the streak rules as they are now (rules keep
 * no past params), so a rule edited since can pay there what it would not have, or, for a late
 * renewal, take back what it paid; bonuses outside the stretch are never touched. Caps count by
 * ledger time, as everywhere, so a bonus paid, taken back and paid again counts twice.
 */
export class RenewalStreaks {
  constructor(private readonly earning: EarningService) {}

  /** `plan`: what the event says about the service's plan, saved when the renewal is its newest. */
  async renewed(tx: Tx, account: MemberAccount, input: RenewalInput, row: ServiceRecord, plan: ServiceChanges): Promise<RenewalOutcome> {
    const memberId = account.member.id;
    const { service } = input;
    const repo = tx.repos.renewals;
    const dueDate = service.dueDate;
    const period = renewalPeriod(input.occurredAt, dueDate);
    const onTime = isOnTime(input.occurredAt, dueDate, input.snapshot.program.renewalGraceDays);
    const last = await repo.last(memberId, service.id);
    // Only a due date not after the newest one's can have been reported already.
    const known = dueDate !== undefined && last !== null && period <= last.period ? await repo.findByDueDate(memberId, service.id, dueDate) : null;
    if (known) {
      const already: RenewalOutcome = { result: { outcome: 'applied', points: 0, detail: 'already_counted' }, details: { counted: false, due_date: dueDate ?? null } };
      if (known.renewedAt <= input.occurredAt) return already;
      // An earlier report of the same period: the period was renewed then, whichever report came
      // first. Earlier is never later, even if the grace setting shrank between the two reports.
      const earlier = { ...known, renewedAt: input.occurredAt, onTime: known.onTime || onTime };
      await repo.setRenewedAt(known.id, earlier.renewedAt, earlier.onTime, tx.now);
      if (earlier.onTime === known.onTime) return already;
      return this.replay(tx, account, input, row, earlier);
    }
    const amount = service.amount ?? (row.amountMinor !== null && row.currency !== null ? { currency: row.currency, minor: row.amountMinor } : null);
    const months = cycleMonths(service.billingCycle ?? row.billingCycle ?? undefined);
    const renewal = await repo.insert(memberId, service.id, { dueDate: dueDate ?? null, period, renewedAt: input.occurredAt, onTime, months, amount }, input.eventId, tx.now);
    if (last === null || sortsBefore(last, renewal)) return this.append(tx, account, input, row, renewal, plan);
    return this.replay(tx, account, input, row, renewal);
  }

  /** The newest renewal: the run it ends is the service's current streak, on the row. */
  private async append(tx: Tx, account: MemberAccount, input: RenewalInput, row: ServiceRecord, renewal: RenewalRecord, plan: ServiceChanges): Promise<RenewalOutcome> {
    const before: StreakCounts = { streak: row.streak, months: row.streakMonths };
    const after = extendStreak(before, renewal);
    await this.saveCounts(tx, row, renewal, after, plan);
    const details = { counted: true, on_time: renewal.onTime, streak: after.streak, due_date: renewal.dueDate };
    if (!renewal.onTime) return { result: { outcome: 'applied', points: 0, detail: 'late_streak_reset' }, details };
    const at = renewal.renewedAt < tx.now ? renewal.renewedAt : tx.now;
    const reached = milestonesAt(input.snapshot.program.rules, '', before, after, { at, renewedAt: renewal.renewedAt, amount: renewal.amount });
    let points = 0;
    if (reached.some((m) => m.payable)) {
      const late = await tx.repos.renewals.lateBefore(account.member.id, input.service.id, renewal);
      const run = late ? runAfter(late) : '';
      const named = reached.map((m) => ({ ...m, run }));
      const keys = new Set(named.map(milestoneKey));
      // Only these milestones: the rest of the run was settled when it was delivered.
      const kept = (await tx.repos.streakBonuses.forRuns(account.member.id, input.service.id, [run])).filter((b) => keys.has(milestoneKey(b)));
      points = (await this.settle(tx, account, input, kept, settleStreakBonuses(kept, named, input.snapshot.program.rules, false), renewal)).points;
    }
    return { result: await this.answer(tx, account, input, renewal.renewedAt, points, 0, after.streak, true), details };
  }

  /**
   * A renewal that sorts before others (just kept, or moved earlier by an earlier report):
   * replays the stretch between the late renewals around it and settles its bonuses.
   */
  private async replay(tx: Tx, account: MemberAccount, input: RenewalInput, row: ServiceRecord, renewal: RenewalRecord): Promise<RenewalOutcome> {
    const memberId = account.member.id;
    const serviceId = input.service.id;
    const repo = tx.repos.renewals;
    const late = await repo.lateBefore(memberId, serviceId, renewal);
    const next = await repo.lateAfter(memberId, serviceId, renewal);
    const first = late ? runAfter(late) : '';
    const runs = runsOf(first, await repo.between(memberId, serviceId, late, next));
    const rules = input.snapshot.program.rules;
    // The runs as they were and are: a late renewal turned on time by an earlier report named one.
    const names = new Set([first, ...runs.map((r) => r.after), ...(renewal.dueDate === null ? [] : [renewal.dueDate])]);
    const kept = await tx.repos.streakBonuses.forRuns(memberId, serviceId, [...names]);
    const settled = await this.settle(tx, account, input, kept, settleStreakBonuses(kept, streakMilestones(rules, runs, tx.now), rules, !renewal.onTime), renewal);
    let streak = row.streak;
    const current = runs[runs.length - 1];
    if (next === null && current) {
      // The stretch runs to the newest renewal: its last run is the service's streak now.
      const counts = countsOf(current);
      streak = counts.streak;
      await this.saveCounts(tx, row, renewal, counts);
    }
    const details = { counted: true, on_time: renewal.onTime, streak, due_date: renewal.dueDate, in_order: false };
    return { result: await this.answer(tx, account, input, renewal.renewedAt, settled.points, settled.writtenOff, streak, renewal.onTime), details };
  }

  /** Carries out a settlement: moves, payments (nothing while earning is paused: still settled), take-backs. */
  private async settle(
    tx: Tx,
    account: MemberAccount,
    input: RenewalInput,
    kept: readonly StreakBonus[],
    plan: StreakSettlement,
    cause: RenewalRecord,
  ): Promise<{ points: number; writtenOff: number }> {
    const memberId = account.member.id;
    const serviceId = input.service.id;
    const repo = tx.repos.streakBonuses;
    const byKey = new Map(kept.map((b) => [milestoneKey(b), b]));
    const hold = async (m: ReachedMilestone, points: number, ledgerId: number | null) => {
      const state = { held: true, points, ledgerId, ...(input.eventId !== undefined && { eventId: input.eventId }) };
      const existing = byKey.get(milestoneKey(m));
      if (existing) await repo.update(existing.id, state, tx.now);
      else await repo.insert(memberId, serviceId, m, state, tx.now);
    };
    const release = (b: StreakBonus) => repo.update(b.id, { held: false, points: 0, ledgerId: null }, tx.now);
    for (const { from, to } of plan.moves) {
      await release(from);
      await hold(to, from.points, from.ledgerId);
    }
    let points = 0;
    let writtenOff = 0;
    // A milestone is paid as of the renewal that reached it: nothing if a service was suspended then.
    const pausedAt = await earningPause(tx, account, input);
    const paid = [
      ...plan.pay.filter((m) => pausedAt(m.renewedAt)).map((milestone) => ({ milestone, points: 0, ledgerId: null })),
      ...(await this.earning.payStreakBonuses(tx, account, { ...input, serviceId, milestones: plan.pay.filter((m) => !pausedAt(m.renewedAt)) })),
    ];
    for (const p of paid) {
      await hold(p.milestone, p.points, p.ledgerId);
      points += p.points;
    }
    for (const b of plan.takeBack) {
      await release(b);
      if (b.points === 0) continue;
      const debit = await account.debit({
        points: b.points,
        kind: 'reverse',
        reasonCode: 'renewal_streak_taken_back',
        reasonParams: { service: serviceId, due_date: cause.dueDate ?? cause.period, points: b.points },
        // Names the rule whose bonus it takes back. It gives no cap room back: caps count only
        // an invoice's awards net of its reversals (services/cap-usage.ts).
        rule: ruleKey({ type: 'renewal_streak', id: b.ruleId }),
        reference: `service:${serviceId}`,
        eventId: input.eventId,
        ownLedgerIds: new Set(b.ledgerId === null ? [] : [b.ledgerId]),
        reducesLifetime: true,
        debtPolicy: input.snapshot.program.debtPolicy,
      });
      points += debit.writtenOff - b.points;
      writtenOff += debit.writtenOff;
    }
    return { points, writtenOff };
  }

  private async saveCounts(tx: Tx, row: ServiceRecord, renewal: RenewalRecord, counts: StreakCounts, plan: ServiceChanges = {}): Promise<void> {
    const lastDueDate = renewal.dueDate !== null && (row.lastDueDate === null || renewal.dueDate > row.lastDueDate) ? renewal.dueDate : row.lastDueDate;
    const lastRenewedAt = row.lastRenewedAt && row.lastRenewedAt > renewal.renewedAt ? row.lastRenewedAt : renewal.renewedAt;
    await tx.repos.services.update(row.id, { ...plan, streak: counts.streak, streakMonths: counts.months, lastDueDate, lastRenewedAt }, tx.now);
  }

  /** `at`: the renewal's own time (its `occurred_at`, even ahead of our clock), which says whether earning was paused for it. */
  private async answer(tx: Tx, account: MemberAccount, input: RenewalInput, at: Date, points: number, writtenOff: number, streak: number, onTime: boolean): Promise<UseCaseResult> {
    const paused = onTime && points === 0 && (await earningPause(tx, account, input))(at);
    const detail = !onTime ? 'late_streak_reset' : points !== 0 ? undefined : paused ? 'earning_paused' : `streak_${streak}`;
    return { outcome: 'applied', points, ...(writtenOff > 0 && { writtenOff }), ...(detail !== undefined && { detail }) };
  }
}
