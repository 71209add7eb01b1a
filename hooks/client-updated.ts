import type { HookHandler } from './hook-context';

/** `client.updated`: the member's contact details, locale, currency, birthday and status. */
export const clientUpdated: HookHandler = async (event, { tx, account, context, services }) =>
  services.clients.updated(tx, account, { ...context, client: event.client, occurredAt: event.occurredAt });
