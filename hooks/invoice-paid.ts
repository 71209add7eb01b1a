import type { HookHandler } from './hook-context';

/** `invoice.paid`: the invoice earns points once, and any refund that came first is applied. */
export const invoicePaid: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.invoice) throw new Error('invoice.paid without an invoice block passed validation');
  return services.invoices.paid(tx, account, { ...context, invoice: event.invoice, occurredAt: event.occurredAt });
};
