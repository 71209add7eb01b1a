import type { HookHandler } from './hook-context';

/** `client.created`: the event service has enrolled the client; the signup bonus, if on, is theirs once. */
export const clientCreated: HookHandler = async (event, { tx, account, context, services }) => ({
  outcome: 'applied',
  points: await services.earning.awardSignup(tx, account, { ...context, occurredAt: event.occurredAt }),
  detail: account.enrolled ? 'enrolled' : 'already_enrolled',
});
