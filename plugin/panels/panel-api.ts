import { describeProblems, fieldProblems } from '../domain/validation';
import {
  type PanelActionDefinition,
  type PanelActionName,
  type PanelActionPayloads,
  type PanelActionTable,
  type PanelCapabilities,
} from '../domain/panel-actions';
import { PanelError } from '../errors';

export type { PanelActionName, PanelActionPayloads, PanelCapabilities } from '../domain/panel-actions';
export { withKey } from '../domain/panel-actions';

export interface PanelResult {
  /** The panel's id for what it created (an invoice item, a credit), when it returns one. */
  reference: string | null;
}

/** What the dispatcher knows of an action's earlier attempts, for an adapter that must not act twice. */
export interface PanelDelivery {
  /**
   * An earlier attempt may have reached the panel: the row was claimed before (its sender may
   * have died after the panel acted) or failed before (an answer lost, a timeout).
   */
  readonly retry: boolean;
  /**
   * It failed and was queued again (an admin's retry: its attempts start over), or handed back
   * unsent. Whoever retried it chose to send it: an adapter that can't tell whether an earlier
   * attempt went sends it rather than refuse again.
   */
  readonly requeued: boolean;
  /** When the action was queued: nothing the panel did before then is this action. */
  readonly queuedAt: Date;
}

/** One action, its payload checked against its declaration, as the dispatcher hands it over. */
export interface PanelActionCall<P = unknown> {
  readonly action: string;
  readonly definition: PanelActionDefinition<P>;
  readonly payload: P;
  readonly idempotencyKey: string;
  /**
   * Set by the outbox dispatcher. Absent when the caller can't tell (a test, a host calling an
   * adapter itself): an adapter then takes the call as a retry of an action queued at any time.
   */
  readonly delivery?: PanelDelivery;
}

/**
 * An adapter for one billing panel's API. Only the outbox dispatcher calls it, never code
 * inside a DB transaction (DESIGN §10: a slow panel would hold a pooled connection).
 *
 * One `perform` for every action rather than a method per action: the actions are declared
 * once (domain/panel-actions.ts), and an adapter that can act generically (the generic shim)
 * takes a new action with no change; one that maps actions onto a panel's own API dispatches
 * through a typed `PanelActionHandlers` table, so the compiler lists what a new action needs.
 *
 * Idempotency: every call carries the outbox row's idempotency key, and the same key may
 * arrive more than once (a dispatcher lost its lease, or crashed between the panel's answer
 * and marking the row sent). No panel's credit or invoice API is idempotent, so an adapter:
 * - writes the key into what it creates (see `withKey`: the description of the line or
 *   credit), so the action can be found again in the panel;
 * - may reconcile before acting (e.g. WHMCS `GetCredits`, or the invoice's items) and return
 *   the existing reference instead of acting twice;
 * - throws `PanelError` with `retryable: false` when the panel refused the action for good,
 *   and any other error (or `retryable: true`) when trying later may help.
 * Setting a client's tier is absolute, so repeating it is harmless.
 */
export interface PanelApi {
  readonly name: string;
  readonly capabilities: PanelCapabilities;
  /**
   * Where the actions go, without secrets (e.g. the shim's origin and path): what a 410 Gone
   * pauses and /healthz names. Defaults to `name` (one endpoint per adapter).
   */
  readonly endpoint?: string;
  perform(call: PanelActionCall): Promise<PanelResult>;
}

/** An adapter's implementation of each built-in action, by name. */
export type PanelActionHandlers = {
  readonly [A in PanelActionName]: (payload: PanelActionPayloads[A], idempotencyKey: string, delivery: PanelDelivery | undefined) => Promise<PanelResult>;
};

/** Calls the handler for `call.action`; an action the table doesn't have fails for good. */
export function performWith(adapter: string, handlers: PanelActionHandlers, call: PanelActionCall): Promise<PanelResult> {
  if (!Object.hasOwn(handlers, call.action)) {
    throw new PanelError('unsupported_action', { message: `Panel "${adapter}" has no handler for ${call.action}`, retryable: false });
  }
  // The payload was parsed by this action's own schema, which is what the handler's type says.
  const handler = handlers[call.action as PanelActionName] as (payload: unknown, idempotencyKey: string, delivery: PanelDelivery | undefined) => Promise<PanelResult>;
  return handler(call.payload, call.idempotencyKey, call.delivery);
}

/**
 * Checks an outbox row against the action table and the panel: an unknown action, a payload
 * that no longer fits its schema, or a capability the panel lacks fails for good.
 */
export function panelActionCall(
  actions: PanelActionTable,
  api: Pick<PanelApi, 'name' | 'capabilities'>,
  action: string,
  payload: unknown,
  idempotencyKey: string,
  delivery?: PanelDelivery,
): PanelActionCall {
  const definition = Object.hasOwn(actions, action) ? actions[action] : undefined;
  if (!definition) throw new PanelError('unknown_action', { message: `Unknown panel action "${action}"`, retryable: false });
  const parsed = definition.payload.safeParse(payload);
  if (!parsed.success) {
    throw new PanelError('invalid_action_payload', {
      message: `Invalid ${action} payload: ${describeProblems(fieldProblems(parsed.error, payload))}`,
      retryable: false,
    });
  }
  if (!api.capabilities[definition.capability]) {
    throw new PanelError('unsupported_action', {
      message: `Panel "${api.name}" cannot do ${action} (no ${definition.capability} capability)`,
      retryable: false,
    });
  }
  return { action, definition, payload: parsed.data, idempotencyKey, ...(delivery && { delivery }) };
}
