import type { HookHandler } from './hook-context';

/** `service.suspended`: pauses the tier grace clock (and earning, as the program says); recorded in the member's history. */
export const serviceSuspended: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.service) throw new Error('service.suspended without a service block passed validation');
  return services.lifecycle.suspended(tx, account, { ...context, service: event.service, occurredAt: event.occurredAt });
};
