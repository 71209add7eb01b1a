import { z } from 'zod';
import { currencyDigits, type Money } from '../domain/money';
import { PanelError } from '../errors';

/** Which of the actions below a panel can perform; the program picks among what is there. */
export interface PanelCapabilities {
  /** A negative line on an unpaid invoice (WHMCS `UpdateInvoice newitem*`). */
  invoiceDiscount: boolean;
  /** A client group or tier with the panel's own discount (WHMCS `UpdateClient groupid`). */
  clientTier: boolean;
  /** Account credit (WHMCS `AddCredit`), e.g. cashback where invoices can't be edited. */
  credit: boolean;
}

export interface PanelResult {
  /** The panel's id for what it created (an invoice item, a credit), when it returns one. */
  reference: string | null;
}

/**
 * An adapter for one billing panel's API. Only the outbox dispatcher calls it, never code
 * inside a DB transaction (DESIGN §10: a slow panel would hold a pooled connection).
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
  addInvoiceDiscount(invoiceId: string, amount: Money, description: string, idempotencyKey: string): Promise<PanelResult>;
  setClientTier(clientId: string, tier: string, idempotencyKey: string): Promise<PanelResult>;
  applyCredit(clientId: string, amount: Money, description: string, idempotencyKey: string): Promise<PanelResult>;
}

/** The description an adapter writes into the panel: the key makes a retry findable. */
export function withKey(description: string, idempotencyKey: string): string {
  return `${description} [ref ${idempotencyKey}]`;
}

const money = z
  .object({ currency: z.string(), minor: z.number().int().positive() })
  .refine((m) => currencyDigits(m.currency) !== undefined, { error: 'unknown currency' });
const panelId = z.string().min(1).max(64);
const description = z.string().min(1).max(255);

/**
 * What the outbox carries, by action name. The payload is checked again when it is read back,
 * because a row may have been written by an older version of the plugin.
 */
export const PANEL_ACTION_SCHEMAS = {
  'invoice.discount': z.object({ invoiceId: panelId, amount: money, description }),
  'client.tier': z.object({ clientId: panelId, tier: z.string().min(1).max(64) }),
  'client.credit': z.object({ clientId: panelId, amount: money, description }),
};

export type PanelActionName = keyof typeof PANEL_ACTION_SCHEMAS;
export type PanelActionPayloads = { [A in PanelActionName]: z.infer<(typeof PANEL_ACTION_SCHEMAS)[A]> };

export function isPanelActionName(action: string): action is PanelActionName {
  return Object.hasOwn(PANEL_ACTION_SCHEMAS, action);
}

/** Performs one outbox action through the adapter; an action it can't do fails for good. */
export async function performPanelAction(api: PanelApi, action: string, payload: unknown, idempotencyKey: string): Promise<PanelResult> {
  if (!isPanelActionName(action)) {
    throw new PanelError('unknown_action', { message: `Unknown panel action "${action}"`, retryable: false });
  }
  const parsed = PANEL_ACTION_SCHEMAS[action].safeParse(payload);
  if (!parsed.success) {
    throw new PanelError('invalid_action_payload', {
      message: `Invalid ${action} payload: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
      retryable: false,
    });
  }
  const unsupported = (capability: keyof PanelCapabilities) =>
    new PanelError('unsupported_action', { message: `Panel "${api.name}" cannot do ${action} (no ${capability} capability)`, retryable: false });
  switch (action) {
    case 'invoice.discount': {
      if (!api.capabilities.invoiceDiscount) throw unsupported('invoiceDiscount');
      const p = parsed.data as PanelActionPayloads['invoice.discount'];
      return api.addInvoiceDiscount(p.invoiceId, p.amount, p.description, idempotencyKey);
    }
    case 'client.tier': {
      if (!api.capabilities.clientTier) throw unsupported('clientTier');
      const p = parsed.data as PanelActionPayloads['client.tier'];
      return api.setClientTier(p.clientId, p.tier, idempotencyKey);
    }
    case 'client.credit': {
      if (!api.capabilities.credit) throw unsupported('credit');
      const p = parsed.data as PanelActionPayloads['client.credit'];
      return api.applyCredit(p.clientId, p.amount, p.description, idempotencyKey);
    }
  }
}
