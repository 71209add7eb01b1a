import type { HookHandler } from '../plugin/events/hook';

/** `client.created`: the event service has enrolled the client; the signup bonus, if on, is theirs once. */
export const clientCreated: HookHandler = async (event, ctx) => ({
  outcome: 'applied',
  points: await ctx.services.earning.awardSignup(ctx, event.occurredAt),
  detail: ctx.enrolled ? 'enrolled' : 'already_enrolled',
});
