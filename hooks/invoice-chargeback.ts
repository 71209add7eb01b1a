import type { HookHandler } from './hook-context';

/** `invoice.chargeback`: reverses everything the invoice earned, plus the program's penalty. */
export const invoiceChargeback: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.invoice) throw new Error('invoice.chargeback without an invoice block passed validation');
  return services.invoices.chargedBack(tx, account, { ...context, invoice: event.invoice });
};
