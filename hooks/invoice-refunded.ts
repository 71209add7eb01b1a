import type { HookHandler } from './hook-context';

/** `invoice.refunded`: reverses the refunded share of what the invoice earned. */
export const invoiceRefunded: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.invoice?.refunded) throw new Error('invoice.refunded without invoice.refunded passed validation');
  return services.invoices.refunded(tx, account, { ...context, invoice: event.invoice });
};
