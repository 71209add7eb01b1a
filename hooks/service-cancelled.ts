import type { HookHandler } from './hook-context';

/** `service.cancelled`: the service leaves the active count; a churn signal; recorded in the member's history. */
export const serviceCancelled: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.service) throw new Error('service.cancelled without a service block passed validation');
  return services.lifecycle.cancelled(tx, account, { ...context, service: event.service, occurredAt: event.occurredAt });
};
