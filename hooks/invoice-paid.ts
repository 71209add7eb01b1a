import type { HookHandler } from '../plugin/events/hook';

/** `invoice.paid`: the invoice earns points once, and any refund that came first is applied. */
export const invoicePaid: HookHandler = async (event, ctx) => {
  if (!event.invoice) throw new Error('invoice.paid without an invoice block passed validation');
  return ctx.services.invoices.paid(ctx, event.invoice, event.occurredAt);
};
