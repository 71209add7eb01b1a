import { createHash } from 'node:crypto';
import { z } from 'zod';
import { currencyDigits, toDecimalString, type Money } from './money';

/**
 * What a panel adapter can do. An action names the one it needs; an adapter lists what it
 * has, and the dispatcher fails an action for good when its panel lacks the capability.
 */
export const PANEL_CAPABILITIES = {
  invoiceDiscount: 'a negative line on an unpaid invoice (WHMCS `UpdateInvoice newitem*`)',
  clientTier: "a client group or tier carrying the panel's own discount (WHMCS `UpdateClient groupid`)",
  credit: "account credit (WHMCS `AddCredit`), e.g. cashback where invoices can't be edited",
  email: 'an email to the client sent by the panel (WHMCS `SendEmail` with a custom message)',
  promoCode: "a single-use promo code for the client (WHMCS has no API for it: the panel-side shim creates it in the panel's promotions)",
} as const;

export type PanelCapability = keyof typeof PANEL_CAPABILITIES;
export type PanelCapabilities = Readonly<Record<PanelCapability, boolean>>;

/**
 * Steps that undo our side of an action the panel never performed. Each is run by a handler a
 * service registers with the outbox dispatcher, in its own transaction, together with marking
 * the action failed, so it happens exactly once.
 */
export const COMPENSATIONS = {
  reverse_points: 'gives the member back the points the action was paid with',
} as const;

export type CompensationName = keyof typeof COMPENSATIONS;

/** An action that failed for good, as a compensation handler receives it. */
export interface FailedPanelAction {
  action: string;
  /** As stored: it may not match the action's schema (that can be why it failed). */
  payload: unknown;
  idempotencyKey: string;
  error: string;
}

/**
 * One action the plugin can ask of a panel, declared once: the outbox's enqueue typing, the
 * dispatcher, the adapters and the docs all read it.
 */
export interface PanelActionDefinition<P = unknown> {
  /** For the docs: what the panel does. */
  readonly description: string;
  /** What the outbox carries; checked again when read back, since an older version may have written it. */
  readonly payload: z.ZodType<P>;
  readonly capability: PanelCapability;
  /** What happens when the action fails for good: nothing, or a named compensation. */
  readonly onFailed: CompensationName | null;
  /**
   * The action as panel-side shims receive it (the generic adapter's `data`): snake_case, money
   * as a decimal string plus its currency, as in the event contract. The shim receives the
   * idempotency key beside `data`, so descriptions are the customer's text alone; a shim that
   * can only store the key in the description uses `withKey`.
   * A method, so a definition for a narrower payload still fits a table of any actions.
   */
  toWire(payload: P, idempotencyKey: string): Record<string, unknown>;
}

/** Actions by name. Extend with a spread; a name must be unique (`withPanelActions` checks). */
export type PanelActionTable = Readonly<Record<string, PanelActionDefinition>>;

/** Typed helper: infers the payload type from the schema. */
export function definePanelAction<P>(definition: PanelActionDefinition<P>): PanelActionDefinition<P> {
  return definition;
}

/**
 * A short stand-in for an idempotency key, for text a customer reads: 10 hex digits of its
 * SHA-256, so "Gold tier renewal discount (5%) [ref 3f9a2c41d0]" and not the internal key.
 * Unique enough to find one client's line or credit again (a collision needs ~10^6 actions on
 * one invoice or client), and the same for every retry of an action.
 */
export function shortRef(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 10);
}

/**
 * The description an adapter writes into a panel that has no other field for our key: the
 * customer's text first, then the short reference, which makes a retry findable. A panel
 * with a field of its own (the generic shim gets `idempotency_key` beside `data`) gets the
 * customer's text alone.
 */
export function withKey(description: string, idempotencyKey: string): string {
  return `${description} [ref ${shortRef(idempotencyKey)}]`;
}

const money = z
  .object({ currency: z.string(), minor: z.number().int().positive() })
  .refine((m) => currencyDigits(m.currency) !== undefined, { error: 'unknown currency' });
const panelId = z.string().min(1).max(64);
const description = z.string().min(1).max(255);

/** Where an email goes out: the panel's mailer, or our own SMTP (`SMTP_URL`). Chosen when it is queued. */
export const EMAIL_CHANNELS = ['panel', 'smtp'] as const;
export type EmailChannel = (typeof EMAIL_CHANNELS)[number];

const emailPayload = z.object({
  clientId: panelId,
  to: z.email().max(254),
  purpose: z.string().min(1).max(64),
  channel: z.enum(EMAIL_CHANNELS),
  subject: z.string().min(1).max(255),
  html: z.string().min(1).max(60_000),
  text: z.string().min(1).max(60_000),
});
export type EmailPayload = z.output<typeof emailPayload>;

/**
 * The Message-ID an email carries, derived from its outbox key, so a resend of the same row
 * (a dispatcher that lost the SMTP server's answer) is the same message: receiving servers and
 * clients that deduplicate by Message-ID show it once. Not a guarantee; see README "Email".
 */
export function emailMessageId(idempotencyKey: string): string {
  return `<${idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '.')}@hosting-rewards>`;
}

function moneyFields(amount: Money): { amount: string; currency: string } {
  return { amount: toDecimalString(amount), currency: amount.currency };
}

export const PANEL_ACTIONS = {
  'invoice.discount': definePanelAction({
    description: "adds a negative line to an unpaid invoice (a tier's renewal discount)",
    payload: z.object({ invoiceId: panelId, amount: money, description }),
    capability: 'invoiceDiscount',
    onFailed: null,
    toWire: (p) => ({ invoice_id: p.invoiceId, ...moneyFields(p.amount), description: p.description }),
  }),
  'client.tier': definePanelAction({
    description: "puts the client in the panel's group for their tier (absolute, so a repeat is harmless)",
    payload: z.object({ clientId: panelId, tier: z.string().min(1).max(64) }),
    capability: 'clientTier',
    onFailed: null,
    toWire: (p) => ({ client_id: p.clientId, tier: p.tier }),
  }),
  'client.credit': definePanelAction({
    description: 'adds account credit to the client (a redemption, or tier cashback)',
    payload: z.object({ clientId: panelId, amount: money, description }),
    capability: 'credit',
    // A redemption paid for it with points: they go back. Cashback spent none: nothing to undo.
    onFailed: 'reverse_points',
    toWire: (p) => ({ client_id: p.clientId, ...moneyFields(p.amount), description: p.description }),
  }),
  'client.email': definePanelAction({
    description:
      'sends the client an email we rendered (expiry warnings, statements, tier changes): by the panel (WHMCS `SendEmail`, custom type `general`), or by SMTP when `email_channel` is `smtp`',
    payload: emailPayload,
    capability: 'email',
    onFailed: null,
    toWire: (p, key) => ({ client_id: p.clientId, to: p.to, subject: p.subject, html: p.html, text: p.text, purpose: p.purpose, message_id: emailMessageId(key) }),
  }),
  'promo.create': definePanelAction({
    description: 'creates a single-use promo code for the client (a redeemed reward): a percentage or an amount off, optionally until a date',
    payload: z.object({
      clientId: panelId,
      code: z.string().regex(/^[A-Z0-9-]{6,32}$/),
      discount: z.discriminatedUnion('type', [
        z.object({ type: z.literal('percent'), percent: z.number().int().min(1).max(100) }),
        z.object({ type: z.literal('amount'), amount: money }),
      ]),
      expiresAt: z.iso.datetime().nullable(),
      description,
    }),
    capability: 'promoCode',
    // A redemption paid for it with points: they go back.
    onFailed: 'reverse_points',
    toWire: (p) => ({
      client_id: p.clientId,
      code: p.code,
      ...(p.discount.type === 'percent' ? { percent: p.discount.percent } : moneyFields(p.discount.amount)),
      expires_at: p.expiresAt,
      description: p.description,
    }),
  }),
} satisfies PanelActionTable;

export type PanelActionName = keyof typeof PANEL_ACTIONS;
export type PanelActionPayloads = {
  [A in PanelActionName]: (typeof PANEL_ACTIONS)[A] extends PanelActionDefinition<infer P> ? P : never;
};

export function isPanelActionName(action: string): action is PanelActionName {
  return Object.hasOwn(PANEL_ACTIONS, action);
}

/** The capability an action needs, e.g. to warn at start-up when the panel lacks it. */
export function capabilityOf(action: PanelActionName): PanelCapability {
  return PANEL_ACTIONS[action].capability;
}

/**
 * The built-in actions plus `extra` (a host's or a test's own), refusing a name declared twice:
 * a second declaration would silently replace what the outbox already holds rows for.
 */
export function withPanelActions(extra: PanelActionTable, base: PanelActionTable = PANEL_ACTIONS): PanelActionTable {
  const clash = Object.keys(extra).filter((name) => Object.hasOwn(base, name));
  if (clash.length > 0) throw new Error(`Panel action declared twice: ${clash.join(', ')}`);
  return Object.freeze({ ...base, ...extra });
}
