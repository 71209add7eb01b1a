import { createHash } from 'node:crypto';
import { availableFrom } from '../domain/expiry';
import type { Money } from '../domain/money';
import { tooManyPointsProblem } from '../domain/points';
import { creditExpiry } from '../domain/program';
import {
  capPeriodBounds,
  evaluateAction,
  evaluateInvoice,
  evaluateSignup,
  evaluateUpgrade,
  ruleKey as keyOfRule,
  streakAwards,
  type ActionPeriod,
  type ReachedMilestone,
  ruleInForce,
  type Award,
  type CapUsage,
  type MemberContext,
  type Rule,
  type RuleSwitch,
} from '../domain/rules';
import type { Invoice } from '../domain/billing-event';
import { suspendedAt } from '../domain/service-record';
import type { Tx } from '../db/unit-of-work';
import { readCapUsage } from './cap-usage';
import { heldBy, pointsLimitError, refusePointsPastLimit, type MemberAccount } from './member-account';
import type { UseCaseContext, UseCaseResult } from './use-case-context';

/** The one place that reads the member's tier (as the unit of work found it) into the rules. */
function tierOf(ctx: UseCaseContext): Pick<MemberContext, 'tierMultiplier' | 'tier'> {
  return { tierMultiplier: ctx.tier?.earnMultiplier ?? '1', tier: ctx.tier?.name ?? null };
}

/**
 * When this member earns nothing, as the program says (`pause_earning_while_suspended`): at the
 * instants one of their services was suspended. Asked of each event's own time, not of the
 * services' state now, so a payment earns the same whether it was delivered before or after a
 * suspension that came later, or an unsuspension that came earlier (DESIGN §5.1). The event's
 * `occurred_at` as sent, even ahead of our clock: the history dates suspensions so, and clamped
 * to now, every event dated ahead would be judged at the moment it happened to be delivered.
 */
export async function earningPause(tx: Tx, account: MemberAccount, ctx: UseCaseContext): Promise<(at: Date) => boolean> {
  if (!ctx.snapshot.program.pauseEarningWhileSuspended) return () => false;
  const memberId = account.member.id;
  const changes = (await tx.repos.history.serviceStateChanges([memberId])).get(memberId) ?? [];
  return (at) => suspendedAt(changes, at);
}

/** The ledger reference of an action: one per (kind, reference); long references hashed to fit the column. */
export function actionReference(action: { kind: string; reference: string }): string {
  const plain = `action:${action.kind}:${action.reference}`;
  return plain.length <= 160 ? plain : `action:${action.kind}:sha256:${createHash('sha256').update(action.reference).digest('hex')}`;
}

/**
 * The period of an action rule's frequency that `at` (when the action happened) falls in. `at`
 * is never before 2000 (the event contract) nor after now, so every bound is one a MySQL DATETIME
 * holds; 'ever' is kept within it too (a later bound compares as invalid there).
 */
function periodBounds(per: ActionPeriod, at: Date): { from: Date; to: Date } {
  return per === 'ever' ? { from: new Date(0), to: new Date(Date.UTC(9999, 0, 1)) } : capPeriodBounds(per, at);
}

/** The fields an event's points come from, which a refusal of too many points names (the group commit's too). */
export const INVOICE_FIELD = 'invoice.total';
const SERVICE_FIELD = 'service.amount';

export class EarningService {
  /**
   * Points for a paid invoice: every award the rules give (domain/rules.ts), each its own
   * ledger entry referencing the invoice, so a refund finds them all. Returns the total.
   */
  async awardInvoicePaid(tx: Tx, account: MemberAccount, input: UseCaseContext & { invoice: Invoice; occurredAt: Date }): Promise<UseCaseResult> {
    const { invoice, occurredAt } = input;
    const program = input.snapshot.program;
    const memberId = account.member.id;
    // Backdated events keep their own date for expiry and for which rules were in force; a
    // panel clock ahead of ours does not push either into the future. The pause is judged at the
    // event's own instant, the scale the history's suspensions are on (service-lifecycle-service.ts).
    const earnedAt = occurredAt < tx.now ? occurredAt : tx.now;
    const rules = program.rules;
    if ((await earningPause(tx, account, input))(occurredAt)) return { outcome: 'applied', points: 0, detail: 'earning_paused' };
    // A first purchase: no purchase of theirs stands (InvoiceRepository.withStandingPurchase), so
    // one whose only purchase was reversed or refunded in full, its bonus with it, earns the bonus
    // again, and never holds two. Checked under the member's row lock (held since enrolment), so
    // two invoices of the same member can't both see "first" — no unique-key insert that could
    // abort the transaction on MariaDB.
    const firstPurchaseRule = rules.some((r) => r.type === 'first_purchase' && ruleInForce(r, earnedAt));
    const isFirstPurchase = firstPurchaseRule && !(await tx.repos.invoices.withStandingPurchase([memberId])).has(memberId);
    const result = evaluateInvoice({
      invoice,
      member: { isFirstPurchase, ...tierOf(input) },
      rules,
      rates: program.earnRates,
      at: earnedAt,
      baseRule: program.baseRule,
      ...(await this.capUsage(tx, memberId, rules, earnedAt, program.baseRule)),
    });
    if (result.kind === 'no_rate') return { outcome: 'applied', points: 0, detail: 'no_earn_rate' };
    if (result.kind === 'too_many_points') throw pointsLimitError(INVOICE_FIELD, tooManyPointsProblem(result.points));
    const points = await this.credit(account, input, result.awards, earnedAt, {
      field: INVOICE_FIELD,
      reference: `invoice:${invoice.id}`,
      // Invoice points stay pending (refundable) for the program's refund window.
      availableAt: availableFrom(earnedAt, program.refundWindowDays),
    });
    if (points > 0) return { outcome: 'applied', points };
    return { outcome: 'applied', points: 0, detail: ruleInForce(program.baseRule, earnedAt) ? 'below_one_point' : 'base_rate_off' };
  }

  /**
   * The signup bonus on `client.created`, once per member whatever the event id or order (a
   * member first seen on an invoice still gets it when their client.created arrives). It is
   * spendable at once: there is no payment to refund, so nothing to hold it pending for.
   */
  async awardSignup(tx: Tx, account: MemberAccount, input: UseCaseContext & { occurredAt: Date }): Promise<number> {
    const at = input.occurredAt < tx.now ? input.occurredAt : tx.now;
    const rules = input.snapshot.program.rules;
    if (!rules.some((r) => r.type === 'signup' && ruleInForce(r, at))) return 0;
    const memberId = account.member.id;
    const awards = evaluateSignup({
      rules,
      at,
      alreadyAwarded: await tx.repos.ledger.hasAwardOfType(memberId, 'signup'),
      capUsage: (await this.capUsage(tx, memberId, rules, at)).capUsage,
    });
    return this.credit(account, input, awards, at, { field: 'client.id', availableAt: at });
  }

  /**
   * The `service.upgraded` awards (rules/lifecycle.ts), each referencing `service:<id>`. Held
   * pending for the refund window like the upgrade invoice's own points.
   */
  async awardUpgrade(
    tx: Tx,
    account: MemberAccount,
    input: UseCaseContext & { serviceId: string; amount?: Money; previousAmount?: Money; at: Date },
  ): Promise<{ kind: 'downgrade' | 'unchanged' } | { kind: 'awarded'; points: number }> {
    const program = input.snapshot.program;
    const memberId = account.member.id;
    const result = evaluateUpgrade({
      serviceId: input.serviceId,
      amount: input.amount,
      previousAmount: input.previousAmount,
      rules: program.rules,
      rates: program.earnRates,
      baseRule: program.baseRule,
      at: input.at,
      ...(await this.capUsage(tx, memberId, program.rules, input.at, program.baseRule)),
    });
    if (result.kind === 'too_many_points') throw pointsLimitError(SERVICE_FIELD, tooManyPointsProblem(result.points));
    if (result.kind !== 'awards') return { kind: result.kind === 'downgrade' ? 'downgrade' : 'unchanged' };
    const points = await this.credit(account, input, result.awards, input.at, {
      field: SERVICE_FIELD,
      reference: `service:${input.serviceId}`,
      availableAt: availableFrom(input.at, program.refundWindowDays),
    });
    return { kind: 'awarded', points };
  }

  /**
   * Pays the renewal-streak milestones given (rules/lifecycle.ts), in order, each capped after
   * those before it, referencing `service:<id>`. Each is earned when the renewal that reached it
   * happened, so a milestone found by a late delivery expires and turns spendable as it would
   * have in order. Returns what each paid (0: capped or no rate) and its ledger entry.
   */
  async payStreakBonuses(
    tx: Tx,
    account: MemberAccount,
    input: UseCaseContext & { serviceId: string; milestones: readonly ReachedMilestone[] },
  ): Promise<Array<{ milestone: ReachedMilestone; points: number; ledgerId: number | null }>> {
    if (input.milestones.length === 0) return [];
    const program = input.snapshot.program;
    // Usage of every capped rule in force at one of the renewals (mostly one: the event's own).
    const capUsage = new Map<number, number>();
    for (const at of new Set(input.milestones.map((m) => m.at.getTime()))) {
      for (const [id, used] of (await this.capUsage(tx, account.member.id, program.rules, new Date(at))).capUsage) capUsage.set(id, used);
    }
    const awards = streakAwards(input.milestones, { serviceId: input.serviceId, rules: program.rules, rates: program.earnRates, baseRule: program.baseRule, capUsage });
    if (awards.kind === 'too_many_points') throw pointsLimitError(SERVICE_FIELD, tooManyPointsProblem(awards.points));
    refusePointsPastLimit(
      heldBy(account.member),
      awards.paid.reduce((s, p) => s + (p.award?.points ?? 0), 0),
      SERVICE_FIELD,
    );
    const out: Array<{ milestone: ReachedMilestone; points: number; ledgerId: number | null }> = [];
    for (const { milestone, award } of awards.paid) {
      const where = { reference: `service:${input.serviceId}`, availableAt: availableFrom(milestone.at, program.refundWindowDays) };
      const ledgerId = award ? await this.creditOne(account, input, award, milestone.at, where) : null;
      out.push({ milestone, points: award?.points ?? 0, ledgerId });
    }
    return out;
  }

  /**
   * `action.completed`: once per (kind, reference) whatever the event id, within the rule's
   * frequency; spendable at once (no payment to refund). `at` is when the action happened (the
   * caller clamps a panel clock ahead of ours to now): a "once a month" rule counts the actions of
   * that month, so a November survey delivered on December 1st is November's, and an October one
   * delivered in November is October's. Counted under the member's lock, so of two actions of one
   * period the first delivered earns, whichever happened first.
   */
  async awardAction(tx: Tx, account: MemberAccount, input: UseCaseContext & { action: { kind: string; reference: string }; at: Date }): Promise<UseCaseResult> {
    const program = input.snapshot.program;
    const memberId = account.member.id;
    const reference = actionReference(input.action);
    const already = (await tx.repos.ledger.idsForReference(memberId, reference)).length > 0;
    const rule = program.rules.find((r) => r.type === 'action' && r.params.kind === input.action.kind && ruleInForce(r, input.at));
    let timesInPeriod = 0;
    if (rule?.type === 'action') {
      const { from, to } = periodBounds(rule.params.per, input.at);
      timesInPeriod = await tx.repos.ledger.countAwardsEarnedBetween(memberId, keyOfRule(rule), from, to);
    }
    const result = evaluateAction({
      rules: program.rules,
      at: input.at,
      action: input.action,
      already,
      timesInPeriod,
      capUsage: (await this.capUsage(tx, memberId, program.rules, input.at)).capUsage,
    });
    if (result.kind !== 'awards') return { outcome: 'applied', points: 0, detail: result.kind };
    const points = await this.credit(account, input, result.awards, input.at, { field: 'action.kind', reference, availableAt: input.at });
    return { outcome: 'applied', points, ...(points === 0 && { detail: 'cap_reached' }) };
  }

  /**
   * What each capped rule in force at `at` (and the base rate, given `base`) has given this
   * member in its cap's current period, as it stands: reversed awards give their room back
   * (services/cap-usage.ts). Caps count by ledger time, the time the ledger records.
   */
  private async capUsage(tx: Tx, memberId: number, rules: readonly Rule[], at: Date, base?: RuleSwitch): Promise<{ capUsage: CapUsage; baseCapUsed: number }> {
    const capped = { rules: rules.filter((r) => r.cap && ruleInForce(r, at)), base: base && ruleInForce(base, at) ? base : null };
    const usage = (await readCapUsage(tx.repos, [memberId], capped, tx.now)).get(memberId);
    return { capUsage: usage?.rules ?? new Map(), baseCapUsed: usage?.base ?? 0 };
  }

  /**
   * One ledger entry per award, each naming its rule; all of them refused, on `field` (the
   * event's field their points come from), where they would take the member past `MAX_POINTS`.
   */
  private async credit(
    account: MemberAccount,
    ctx: UseCaseContext,
    awards: readonly Award[],
    earnedAt: Date,
    where: { field: string; reference?: string; availableAt: Date },
  ): Promise<number> {
    refusePointsPastLimit(
      heldBy(account.member),
      awards.reduce((s, a) => s + a.points, 0),
      where.field,
    );
    let total = 0;
    for (const a of awards) {
      await this.creditOne(account, ctx, a, earnedAt, where);
      total += a.points;
    }
    return total;
  }

  /** One award's ledger entry; returns its id. */
  private creditOne(account: MemberAccount, ctx: UseCaseContext, a: Award, earnedAt: Date, where: { reference?: string; availableAt: Date }): Promise<number> {
    return account.credit({
      points: a.points,
      kind: a.kind,
      reasonCode: a.reasonCode,
      reasonParams: a.params,
      rule: a.rule,
      reference: where.reference,
      eventId: ctx.eventId,
      earnedAt,
      availableAt: where.availableAt,
      ...creditExpiry(ctx.snapshot.program, earnedAt),
    });
  }
}
