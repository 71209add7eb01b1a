import type { HookHandler } from '../plugin/events/hook';

/** `invoice.paid`: the invoice's purchase lines earn points at the program's rate. */
export const invoicePaid: HookHandler = async (event, ctx) => {
  if (!event.invoice) throw new Error('invoice.paid without an invoice block passed validation');
  return ctx.services.earning.awardInvoicePaid(ctx, event.invoice, event.occurredAt);
};
