import type { HookHandler } from './hook-context';

/** `invoice.created`: a renewal invoice gets the member's tier discount, as the program says. */
export const invoiceCreated: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.invoice) throw new Error('invoice.created without an invoice block passed validation');
  return services.tierDiscounts.invoiceCreated(tx, account, { ...context, invoice: event.invoice });
};
