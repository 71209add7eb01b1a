import type { HookHandler } from '../plugin/events/hook';

/** `invoice.created`: a renewal invoice gets the member's tier discount, as the program says. */
export const invoiceCreated: HookHandler = async (event, ctx) => {
  if (!event.invoice) throw new Error('invoice.created without an invoice block passed validation');
  return ctx.services.tierDiscounts.invoiceCreated(ctx, event.invoice);
};
