import type { HookHandler } from './hook-context';

/** `action.completed`: the action rule's bonus, once per action reference, within its frequency. */
export const actionCompleted: HookHandler = async (event, { tx, account, context, services }) => {
  if (!event.action) throw new Error('action.completed without an action block passed validation');
  const at = event.occurredAt < tx.now ? event.occurredAt : tx.now;
  return services.earning.awardAction(tx, account, { ...context, action: event.action, at });
};
