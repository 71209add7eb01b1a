import type { HookHandler } from './hook-context';

/** `invoice.reversed`: a paid invoice marked unpaid or cancelled gives back what it earned, once. */
export const invoiceReversed: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.invoice) throw new Error('invoice.reversed without an invoice block passed validation');
  return services.invoices.reversed(tx, account, { ...context, invoice: event.invoice, occurredAt: event.occurredAt });
};
