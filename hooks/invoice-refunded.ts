import type { HookHandler } from '../plugin/events/hook';

/** `invoice.refunded`: reverses the refunded share of what the invoice earned. */
export const invoiceRefunded: HookHandler = async (event, ctx) => {
  if (!event.invoice?.refunded) throw new Error('invoice.refunded without invoice.refunded passed validation');
  return ctx.services.invoices.refunded(ctx, event.invoice);
};
