import type { HookHandler } from './hook-context';

/** `client.created`: the member's profile (filling what an earlier event left out) and the signup bonus, once. */
export const clientCreated: HookHandler = async (event, { tx, account, context, services }) =>
  services.clients.created(tx, account, { ...context, client: event.client, occurredAt: event.occurredAt });
