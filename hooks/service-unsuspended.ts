import type { HookHandler } from './hook-context';

/** `service.unsuspended`: the grace clock resumes without the paused time; recorded in the member's history. */
export const serviceUnsuspended: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.service) throw new Error('service.unsuspended without a service block passed validation');
  return services.lifecycle.unsuspended(tx, account, { ...context, service: event.service, occurredAt: event.occurredAt });
};
