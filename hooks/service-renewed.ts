import type { HookHandler } from './hook-context';

/** `service.renewed`: counts the renewal into the service's streak and pays its streak bonuses; recorded in the member's history. */
export const serviceRenewed: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.service) throw new Error('service.renewed without a service block passed validation');
  return services.lifecycle.renewed(tx, account, { ...context, service: event.service, occurredAt: event.occurredAt });
};
