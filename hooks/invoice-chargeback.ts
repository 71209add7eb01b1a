import type { HookHandler } from '../plugin/events/hook';

/** `invoice.chargeback`: reverses everything the invoice earned, plus the program's penalty. */
export const invoiceChargeback: HookHandler = async (event, ctx) => {
  if (!event.invoice) throw new Error('invoice.chargeback without an invoice block passed validation');
  return ctx.services.invoices.chargedBack(ctx, event.invoice);
};
