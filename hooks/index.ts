import type { HookRegistry } from './hook-context';
import { clientCreated } from './client-created';
import { invoiceChargeback } from './invoice-chargeback';
import { invoiceCreated } from './invoice-created';
import { invoicePaid } from './invoice-paid';
import { invoiceRefunded } from './invoice-refunded';

/**
 * Event types with meaning so far. Every other canonical type is validated, stored and
 * answered `ignored` until its handler lands here.
 */
export const hooks: HookRegistry = {
  'client.created': clientCreated,
  'invoice.created': invoiceCreated,
  'invoice.paid': invoicePaid,
  'invoice.refunded': invoiceRefunded,
  'invoice.chargeback': invoiceChargeback,
};
