import { reversalTarget } from '../domain/reversal';
import type { Invoice } from '../events/canonical-event';
import type { HookContext, HookResult } from '../events/hook';
import type { InvoiceRecord } from '../repositories/invoice-repository';
import type { Member } from '../repositories/member-repository';
import type { EarningService } from './earning-service';
import type { LedgerService } from './ledger-service';

/**
 * An invoice's life as far as points go: paid (earn once), refunded in parts, charged back.
 * Each invoice has one row, read and written under the member's lock, so a refund is bounded
 * by what that invoice earned and a refund that overtakes its payment waits for it.
 */
export class InvoiceService {
  constructor(
    private readonly earning: EarningService,
    private readonly ledger: LedgerService,
  ) {}

  async paid(ctx: HookContext, invoice: Invoice, occurredAt: Date): Promise<HookResult> {
    const row = await ctx.repos.invoices.find(ctx.member.id, invoice.id);
    // A second payment event for an invoice (a panel re-firing its hook under a new id) must
    // not earn twice.
    if (row?.paidAt) return { outcome: 'applied', points: 0, detail: 'already_paid' };
    const earned = await this.earning.awardInvoicePaid(ctx, invoice, occurredAt);
    const paid = { currency: invoice.currency, totalMinor: invoice.total.minor, earnedPoints: earned.points, paidAt: occurredAt };
    if (!row) {
      await ctx.repos.invoices.insert(ctx.member.id, invoice.id, paid, ctx.now);
      return earned;
    }
    await ctx.repos.invoices.update(row.id, paid, ctx.now);
    // Refunds or a chargeback that arrived first were kept on the row; apply them now.
    const member = await this.reload(ctx);
    const reversed = await this.reverseTo(ctx, member, { ...row, ...paid }, 'refund_before_payment');
    return { ...earned, detail: reversed > 0 ? 'earlier_refund_applied' : earned.detail };
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

    let member = ctx.member;
    const reversed = await this.reverseTo(ctx, member, updated, reason);
    let penalty = 0;
    if (firstChargeback && ctx.program.chargebackPenaltyPoints > 0) {
      member = await this.reload(ctx);
      penalty = ctx.program.chargebackPenaltyPoints;
      await this.ledger.debit(ctx.repos, member, {
        points: penalty,
        kind: 'adjust',
        reasonCode: 'chargeback_penalty',
        reasonParams: { invoice: invoice.id, points: penalty },
        rule: 'chargeback_penalty',
        reference: `invoice:${invoice.id}`,
        eventId: ctx.eventRowId,
        actor: 'system',
        reducesLifetime: false,
        debtPolicy: ctx.program.debtPolicy,
        now: ctx.now,
      });
    }
    return { outcome: 'applied', points: -(reversed + penalty), ...(reversed + penalty === 0 && { detail: 'nothing_to_reverse' }) };
  }

  /** Reverses the invoice's points up to what its refunds (or chargeback) call for. */
  private async reverseTo(ctx: HookContext, member: Member, row: InvoiceRecord, reason: string): Promise<number> {
    const target = reversalTarget({
      earned: row.earnedPoints,
      totalMinor: row.totalMinor,
      refundedMinor: row.refundedMinor,
      chargedBack: row.chargedBack,
    });
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

  /** The member as this transaction has left it (the row lock is already ours). */
  private async reload(ctx: HookContext): Promise<Member> {
    const member = await ctx.repos.members.findById(ctx.member.id);
    if (!member) throw new Error(`Member ${ctx.member.id} vanished inside its own transaction`);
    return member;
  }
}
