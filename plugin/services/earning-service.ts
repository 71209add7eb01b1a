import { earnForInvoice } from '../domain/earning';
import { availableFrom, expiryFor } from '../domain/expiry';
import { toDecimalString } from '../domain/money';
import type { Invoice } from '../events/canonical-event';
import type { HookContext, HookResult } from '../events/hook';
import type { LedgerService } from './ledger-service';

export class EarningService {
  constructor(private readonly ledger: LedgerService) {}

  /** Points for a paid invoice: floor(basis × the currency's rate); none without a rate. */
  async awardInvoicePaid(ctx: HookContext, invoice: Invoice, occurredAt: Date): Promise<HookResult> {
    const earn = earnForInvoice(invoice, ctx.program.earnRates);
    if (earn.kind === 'no_rate') return { outcome: 'applied', points: 0, detail: 'no_earn_rate' };
    if (earn.points === 0) return { outcome: 'applied', points: 0, detail: 'below_one_point' };
    // Backdated events keep their own date for expiry; a panel clock ahead of ours does not
    // push expiry into the future.
    const earnedAt = occurredAt < ctx.now ? occurredAt : ctx.now;
    await this.ledger.credit(ctx.repos, ctx.member, {
      points: earn.points,
      kind: 'earn',
      reasonCode: 'invoice_paid',
      reasonParams: {
        invoice: invoice.id,
        amount: toDecimalString(earn.basis),
        currency: earn.basis.currency,
        rate: earn.rate,
      },
      rule: 'base_rate',
      reference: `invoice:${invoice.id}`,
      eventId: ctx.eventRowId,
      actor: 'system',
      earnedAt,
      availableAt: availableFrom(earnedAt, ctx.program.refundWindowDays),
      expiresAt: expiryFor(earnedAt, ctx.program.expiryMonths),
      now: ctx.now,
    });
    return { outcome: 'applied', points: earn.points };
  }
}
