import { availableFrom, expiryFor } from '../domain/expiry';
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
import type { HookContext, HookResult } from '../events/hook';
import type { LedgerService } from './ledger-service';

/** The one place that reads the member's tier (as the event found it) into the rules. */
function tierOf(ctx: HookContext): Pick<MemberContext, 'tierMultiplier' | 'tier'> {
  return { tierMultiplier: ctx.tier?.earnMultiplier ?? '1', tier: ctx.tier?.name ?? null };
}

export class EarningService {
  constructor(private readonly ledger: LedgerService) {}

  /**
   * Points for a paid invoice: every award the rules give (domain/rules.ts), each its own
   * ledger entry referencing the invoice, so a refund finds them all. Returns the total.
   */
  async awardInvoicePaid(ctx: HookContext, invoice: Invoice, occurredAt: Date): Promise<HookResult> {
    // Backdated events keep their own date for expiry and for which rules were in force; a
    // panel clock ahead of ours does not push either into the future.
    const earnedAt = occurredAt < ctx.now ? occurredAt : ctx.now;
    const rules = ctx.program.rules;
    // Checked under the member's row lock (held since enrolment), so two invoices of the
    // same member can't both see "first" — no unique-key insert that could abort the
    // transaction on MariaDB.
    const firstPurchaseRule = rules.some((r) => r.type === 'first_purchase' && ruleInForce(r, earnedAt));
    const isFirstPurchase =
      firstPurchaseRule &&
      !(await ctx.repos.ledger.hasAwardOfType(ctx.member.id, 'first_purchase')) &&
      !(await ctx.repos.ledger.hasInvoiceEarn(ctx.member.id));
    const result = evaluateInvoice({
      invoice,
      member: { isFirstPurchase, ...tierOf(ctx) },
      rules,
      rates: ctx.program.earnRates,
      at: earnedAt,
      capUsage: await this.capUsage(ctx, rules, earnedAt),
      baseRule: ctx.program.baseRule,
      baseCapUsed: await this.baseCapUsed(ctx, ctx.program.baseRule, earnedAt),
    });
    if (result.kind === 'no_rate') return { outcome: 'applied', points: 0, detail: 'no_earn_rate' };
    const points = await this.credit(ctx, result.awards, earnedAt, {
      reference: `invoice:${invoice.id}`,
      // Invoice points stay pending (refundable) for the program's refund window.
      availableAt: availableFrom(earnedAt, ctx.program.refundWindowDays),
    });
    if (points > 0) return { outcome: 'applied', points };
    return { outcome: 'applied', points: 0, detail: ruleInForce(ctx.program.baseRule, earnedAt) ? 'below_one_point' : 'base_rate_off' };
  }

  /**
   * The signup bonus on `client.created`, once per member whatever the event id or order (a
   * member first seen on an invoice still gets it when their client.created arrives). It is
   * spendable at once: there is no payment to refund, so nothing to hold it pending for.
   */
  async awardSignup(ctx: HookContext, occurredAt: Date): Promise<number> {
    const at = occurredAt < ctx.now ? occurredAt : ctx.now;
    const rules = ctx.program.rules;
    if (!rules.some((r) => r.type === 'signup' && ruleInForce(r, at))) return 0;
    const awards = evaluateSignup({
      rules,
      at,
      alreadyAwarded: await ctx.repos.ledger.hasAwardOfType(ctx.member.id, 'signup'),
      capUsage: await this.capUsage(ctx, rules, at),
    });
    return this.credit(ctx, awards, at, { availableAt: at });
  }

  /** What each capped rule in force has given this member in its current period. */
  private async capUsage(ctx: HookContext, rules: readonly Rule[], at: Date): Promise<CapUsage> {
    const usage = new Map<number, number>();
    for (const r of rules) {
      if (!r.cap || !ruleInForce(r, at)) continue;
      // Caps count by ledger time (when points were credited), the time the ledger records.
      const { from, to } = capPeriodBounds(r.cap.period, ctx.now);
      usage.set(r.id, await ctx.repos.ledger.awardedBetween(ctx.member.id, ruleKey(r), from, to));
    }
    return usage;
  }

  /** What `base_rate` has given this member in its cap's current period (0 when uncapped or off). */
  private async baseCapUsed(ctx: HookContext, base: RuleSwitch, at: Date): Promise<number> {
    if (!base.cap || !ruleInForce(base, at)) return 0;
    const { from, to } = capPeriodBounds(base.cap.period, ctx.now);
    return ctx.repos.ledger.awardedBetween(ctx.member.id, BASE_RATE_KEY, from, to);
  }

  /**
   * One ledger entry per award. The member is threaded through each credit and left on the
   * context, so whatever runs next in this transaction sees the balances just written.
   */
  private async credit(
    ctx: HookContext,
    awards: readonly Award[],
    earnedAt: Date,
    where: { reference?: string; availableAt: Date },
  ): Promise<number> {
    let total = 0;
    for (const a of awards) {
      ctx.member = await this.ledger.credit(ctx.repos, ctx.member, {
        points: a.points,
        kind: a.kind,
        reasonCode: a.reasonCode,
        reasonParams: a.params,
        rule: a.rule,
        reference: where.reference,
        eventId: ctx.eventRowId,
        actor: 'system',
        earnedAt,
        availableAt: where.availableAt,
        expiresAt: expiryFor(earnedAt, ctx.program.expiryMonths),
        now: ctx.now,
      });
      total += a.points;
    }
    return total;
  }
}
