import { earningBasis } from '../domain/earning';
import { reversalTarget } from '../domain/reversal';
import { toQualifying } from '../domain/tiers';
import type { Invoice } from '../domain/billing-event';
import type { HookContext, HookResult } from '../events/hook';
import type { InvoiceRecord } from '../domain/invoice-record';
import type { Member } from '../domain/member';
import type { EarningService } from './earning-service';
import type { LedgerService } from './ledger-service';
import type { TierService } from './tier-service';

/** How much of what an invoice added (points, or qualifying spend) its refunds take back. */
function takenBack(row: InvoiceRecord, added: number): number {
  return reversalTarget({ earned: added, totalMinor: row.totalMinor, refundedMinor: row.refundedMinor, chargedBack: row.chargedBack });
}

/**
 * An invoice's life as far as points go: paid (earn once), refunded in parts, charged back.
 * Each invoice has one row, read and written under the member's lock, so a refund is bounded
 * by what that invoice earned and a refund that overtakes its payment waits for it.
 */
export class InvoiceService {
  constructor(
    private readonly earning: EarningService,
    private readonly ledger: LedgerService,
    private readonly tiers: TierService,
  ) {}

  async paid(ctx: HookContext, invoice: Invoice, reportedAt: Date): Promise<HookResult> {
    // A panel clock ahead of ours must not date a payment (or its tier spend) in the future.
    const occurredAt = reportedAt < ctx.now ? reportedAt : ctx.now;
    const row = await ctx.repos.invoices.find(ctx.member.id, invoice.id);
    // A second payment event for an invoice (a panel re-firing its hook under a new id) must
    // not earn twice.
    if (row?.paidAt) return { outcome: 'applied', points: 0, detail: 'already_paid' };
    const earned = await this.earning.awardInvoicePaid(ctx, invoice, occurredAt);
    await ctx.services.tierDiscounts.invoicePaid(ctx, invoice, row);
    const { settings } = await this.tiers.config(ctx.repos);
    const paid = {
      currency: invoice.currency,
      totalMinor: invoice.total.minor,
      earnedPoints: earned.points,
      paidAt: occurredAt,
      qualifyingMinor: toQualifying(earningBasis(invoice), settings) ?? 0,
    };
    if (!row) {
      await ctx.repos.invoices.insert(ctx.member.id, invoice.id, paid, ctx.now);
      await this.tiers.addSpend(ctx.repos, ctx.member, paid.qualifyingMinor, occurredAt, ctx.now);
      return earned;
    }
    await ctx.repos.invoices.update(row.id, paid, ctx.now);
    // Refunds or a chargeback that arrived first were kept on the row; apply them now.
    const member = await this.reload(ctx);
    const updated = { ...row, ...paid };
    const reversed = await this.reverseTo(ctx, member, updated, 'refund_before_payment');
    // A chargeback that overtook the payment owes its penalty now, exactly once: this branch
    // runs only for the payment that first marks the invoice paid.
    const penalty = row.chargedBack ? await this.penalise(ctx, invoice.id) : 0;
    await this.tiers.addSpend(ctx.repos, member, paid.qualifyingMinor - (await this.removeSpend(ctx, updated)), occurredAt, ctx.now);
    // The answer is the event's net effect, which is also what a replay repeats.
    const net = earned.points - reversed - penalty;
    return { ...earned, points: net, detail: reversed > 0 || row.chargedBack ? 'earlier_refund_applied' : earned.detail };
  }

  async refunded(ctx: HookContext, invoice: Invoice): Promise<HookResult> {
    const refund = invoice.refunded?.minor ?? 0;
    return this.takeBack(ctx, invoice, (row) => ({ refundedMinor: Math.min(row.totalMinor, row.refundedMinor + refund) }), 'invoice_refunded');
  }

  async chargedBack(ctx: HookContext, invoice: Invoice): Promise<HookResult> {
    return this.takeBack(ctx, invoice, () => ({ chargedBack: true }), 'invoice_chargeback');
  }

  private async takeBack(
    ctx: HookContext,
    invoice: Invoice,
    change: (row: InvoiceRecord) => Partial<InvoiceRecord>,
    reason: 'invoice_refunded' | 'invoice_chargeback',
  ): Promise<HookResult> {
    const existing = await ctx.repos.invoices.find(ctx.member.id, invoice.id);
    const row =
      existing ?? (await ctx.repos.invoices.insert(ctx.member.id, invoice.id, { currency: invoice.currency, totalMinor: invoice.total.minor }, ctx.now));
    const firstChargeback = reason === 'invoice_chargeback' && !row.chargedBack;
    const updated: InvoiceRecord = { ...row, ...change(row) };
    await ctx.repos.invoices.update(row.id, { refundedMinor: updated.refundedMinor, chargedBack: updated.chargedBack }, ctx.now);
    if (!row.paidAt) return { outcome: 'applied', points: 0, detail: 'awaiting_payment' };
    if (updated.chargedBack || updated.refundedMinor >= updated.totalMinor) await ctx.services.tierDiscounts.invoiceRefunded(ctx, invoice.id);

    const member = ctx.member;
    const reversed = await this.reverseTo(ctx, member, updated, reason);
    const removed = await this.removeSpend(ctx, updated);
    if (removed > 0 && updated.paidAt) await this.tiers.addSpend(ctx.repos, member, -removed, updated.paidAt, ctx.now);
    const penalty = firstChargeback ? await this.penalise(ctx, invoice.id) : 0;
    return { outcome: 'applied', points: -(reversed + penalty), ...(reversed + penalty === 0 && { detail: 'nothing_to_reverse' }) };
  }

  /** Reverses the invoice's points up to what its refunds (or chargeback) call for. */
  private async reverseTo(ctx: HookContext, member: Member, row: InvoiceRecord, reason: string): Promise<number> {
    const target = takenBack(row, row.earnedPoints);
    const points = target - row.reversedPoints;
    if (points <= 0) return 0;
    const own = await ctx.repos.ledger.idsForReference(member.id, `invoice:${row.invoiceId}`);
    await this.ledger.debit(ctx.repos, member, {
      points,
      kind: 'reverse',
      reasonCode: reason,
      reasonParams: { invoice: row.invoiceId, points },
      reference: `invoice:${row.invoiceId}`,
      eventId: ctx.eventRowId,
      actor: 'system',
      ownLedgerIds: new Set(own),
      reducesLifetime: true,
      debtPolicy: ctx.program.debtPolicy,
      now: ctx.now,
    });
    await ctx.repos.invoices.update(row.id, { reversedPoints: target }, ctx.now);
    return points;
  }

  /** The program's chargeback penalty, taken like a reversal (pending first, then available). */
  private async penalise(ctx: HookContext, invoiceId: string): Promise<number> {
    const penalty = ctx.program.chargebackPenaltyPoints;
    if (penalty <= 0) return 0;
    await this.ledger.debit(ctx.repos, await this.reload(ctx), {
      points: penalty,
      kind: 'adjust',
      reasonCode: 'chargeback_penalty',
      reasonParams: { invoice: invoiceId, points: penalty },
      rule: 'chargeback_penalty',
      reference: `invoice:${invoiceId}`,
      eventId: ctx.eventRowId,
      actor: 'system',
      reducesLifetime: false,
      debtPolicy: ctx.program.debtPolicy,
      now: ctx.now,
    });
    return penalty;
  }

  /**
   * Takes the refunded share of the invoice's qualifying spend back out, by the same rule as
   * its points (from the month it was paid, so a refund cancels the purchase it refunds).
   * Returns the amount newly removed; the caller moves it out of the spend buckets.
   */
  private async removeSpend(ctx: HookContext, row: InvoiceRecord): Promise<number> {
    const target = takenBack(row, row.qualifyingMinor);
    const delta = target - row.qualifyingRemovedMinor;
    if (delta <= 0) return 0;
    await ctx.repos.invoices.update(row.id, { qualifyingRemovedMinor: target }, ctx.now);
    return delta;
  }

  /** The member as this transaction has left it (the row lock is already ours). */
  private async reload(ctx: HookContext): Promise<Member> {
    const member = await ctx.repos.members.findById(ctx.member.id);
    if (!member) throw new Error(`Member ${ctx.member.id} vanished inside its own transaction`);
    return member;
  }
}
