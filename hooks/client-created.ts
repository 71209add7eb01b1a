import type { HookHandler } from '../plugin/events/hook';

/** `client.created`: the event service has enrolled the client; there is nothing more to do. */
export const clientCreated: HookHandler = async (_event, ctx) => ({
  outcome: 'applied',
  points: 0,
  detail: ctx.enrolled ? 'enrolled' : 'already_enrolled',
});
