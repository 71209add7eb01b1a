import type { HookRegistry } from './hook-context';
import { actionCompleted } from './action-completed';
import { clientCreated } from './client-created';
import { clientUpdated } from './client-updated';
import { invoiceChargeback } from './invoice-chargeback';
import { invoiceCreated } from './invoice-created';
import { invoicePaid } from './invoice-paid';
import { invoiceRefunded } from './invoice-refunded';
import { invoiceReversed } from './invoice-reversed';
import { serviceCancelled } from './service-cancelled';
import { serviceCreated } from './service-created';
import { serviceRenewed } from './service-renewed';
import { serviceSuspended } from './service-suspended';
import { serviceUnsuspended } from './service-unsuspended';
import { serviceUpgraded } from './service-upgraded';

/**
 * One handler per canonical event type. A type without one would be validated, stored and
 * answered `ignored` (`not_yet_supported`); manifest.json `events.handled` lists these keys.
 */
export const hooks: HookRegistry = {
  'client.created': clientCreated,
  'invoice.created': invoiceCreated,
  'invoice.paid': invoicePaid,
  'invoice.refunded': invoiceRefunded,
  'invoice.chargeback': invoiceChargeback,
  'invoice.reversed': invoiceReversed,
  'client.updated': clientUpdated,
  'service.created': serviceCreated,
  'service.renewed': serviceRenewed,
  'service.upgraded': serviceUpgraded,
  'service.suspended': serviceSuspended,
  'service.unsuspended': serviceUnsuspended,
  'service.cancelled': serviceCancelled,
  'action.completed': actionCompleted,
};
