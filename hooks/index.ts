import type { HookRegistry } from '../plugin/events/hook';
import { clientCreated } from './client-created';
import { invoicePaid } from './invoice-paid';

/**
 * Event types with meaning so far. Every other canonical type is validated, stored and
 * answered `ignored` until its handler lands here.
 */
export const hooks: HookRegistry = {
  'client.created': clientCreated,
  'invoice.paid': invoicePaid,
};
