import type { HookHandler } from './hook-context';

/** `service.upgraded`: the upgrade bonus once; a downgrade earns nothing and is recorded; recorded in the member's history. */
export const serviceUpgraded: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.service) throw new Error('service.upgraded without a service block passed validation');
  return services.lifecycle.upgraded(tx, account, { ...context, service: event.service, occurredAt: event.occurredAt });
};
