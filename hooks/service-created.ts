import type { HookHandler } from './hook-context';

/** `service.created`: records the service (tenure starts at its first service); recorded in the member's history. */
export const serviceCreated: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.service) throw new Error('service.created without a service block passed validation');
  return services.lifecycle.created(tx, account, { ...context, service: event.service, occurredAt: event.occurredAt });
};
