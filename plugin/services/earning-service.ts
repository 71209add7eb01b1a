import { availableFrom } from '../domain/expiry';
import { creditExpiry } from '../domain/program';
import {
  BASE_RATE_KEY,
  capPeriodBounds,
  evaluateInvoice,
  evaluateSignup,
  ruleInForce,
  ruleKey,
  type Award,
  type CapUsage,
  type MemberContext,
  type Rule,
  type RuleSwitch,
} from '../domain/rules';
import type { Invoice } from '../domain/billing-event';
import type { Tx } from '../db/unit-of-work';
import type { MemberAccount } from './member-account';
import type { UseCaseContext, UseCaseResult } from './use-case-context';

/** The one place that reads the member's tier (as the unit of work found it) into the rules. */
function tierOf(ctx: UseCaseContext): Pick<MemberContext, 'tierMultiplier' | 'tier'> {
  return { tierMultiplier: ctx.tier?.earnMultiplier ?? '1', tier: ctx.tier?.name ?? null };
}

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
    // panel clock ahead of ours does not push either into the future.
    const earnedAt = occurredAt < tx.now ? occurredAt : tx.now;
    const rules = program.rules;
    // Checked under the member's row lock (held since enrolment), so two invoices of the
    // same member can't both see "first" — no unique-key insert that could abort the
    // transaction on MariaDB.
    const firstPurchaseRule = rules.some((r) => r.type === 'first_purchase' && ruleInForce(r, earnedAt));
    const isFirstPurchase =
      firstPurchaseRule &&
      !(await tx.repos.ledger.hasAwardOfType(memberId, 'first_purchase')) &&
      !(await tx.repos.ledger.hasInvoiceEarn(memberId));
    const result = evaluateInvoice({
      invoice,
      member: { isFirstPurchase, ...tierOf(input) },
      rules,
      rates: program.earnRates,
      at: earnedAt,
      capUsage: await this.capUsage(tx, memberId, rules, earnedAt),
      baseRule: program.baseRule,
      baseCapUsed: await this.baseCapUsed(tx, memberId, program.baseRule, earnedAt),
    });
    if (result.kind === 'no_rate') return { outcome: 'applied', points: 0, detail: 'no_earn_rate' };
    const points = await this.credit(account, input, result.awards, earnedAt, {
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
      capUsage: await this.capUsage(tx, memberId, rules, at),
    });
    return this.credit(account, input, awards, at, { availableAt: at });
  }

  /** What each capped rule in force has given this member in its current period. */
  private async capUsage(tx: Tx, memberId: number, rules: readonly Rule[], at: Date): Promise<CapUsage> {
    const usage = new Map<number, number>();
    for (const r of rules) {
      if (!r.cap || !ruleInForce(r, at)) continue;
      // Caps count by ledger time (when points were credited), the time the ledger records.
      const { from, to } = capPeriodBounds(r.cap.period, tx.now);
      usage.set(r.id, await tx.repos.ledger.awardedBetween(memberId, ruleKey(r), from, to));
    }
    return usage;
  }

  /** What `base_rate` has given this member in its cap's current period (0 when uncapped or off). */
  private async baseCapUsed(tx: Tx, memberId: number, base: RuleSwitch, at: Date): Promise<number> {
    if (!base.cap || !ruleInForce(base, at)) return 0;
    const { from, to } = capPeriodBounds(base.cap.period, tx.now);
    return tx.repos.ledger.awardedBetween(memberId, BASE_RATE_KEY, from, to);
  }

  /** One ledger entry per award, each naming its rule. */
  private async credit(
    account: MemberAccount,
    ctx: UseCaseContext,
    awards: readonly Award[],
    earnedAt: Date,
    where: { reference?: string; availableAt: Date },
  ): Promise<number> {
    let total = 0;
    for (const a of awards) {
      await account.credit({
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
      total += a.points;
    }
    return total;
  }
}
