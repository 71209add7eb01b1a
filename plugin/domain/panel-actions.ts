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
  /**
   * The shape of `toWire`'s result, each field described with its type and unit: README "Any
   * other panel" and manifest.json (`panelActions[].data`) are generated from it, so a new
   * action is documented for receivers by declaring it (test/unit/panel-action-wire.test.ts
   * checks `toWire(example)` against it).
   */
  readonly wire: z.ZodType;
  /** A typical payload, for the docs' example body. */
  readonly example: P;
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

/** Receivers' field descriptions, shared by the actions' wire schemas. */
const wireClientId = z.string().min(1).max(64).describe("the panel's client id, as the panel sent it in `client.id`");
const wireAmount = (what: string) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .describe(`${what}: a positive decimal string in major units with the currency's ISO 4217 decimals ("12.50" USD, "1250" JPY)`);
const wireCurrency = z.string().regex(/^[A-Z]{3}$/).describe('ISO 4217 code of `amount`');
const wireDescription = (what: string) => z.string().min(1).max(255).describe(`${what}, in the member's language; shown to the customer, so it carries no internal key`);

export const PANEL_ACTIONS = {
  'invoice.discount': definePanelAction({
    description: "adds a negative line to an unpaid invoice (a tier's renewal discount)",
    payload: z.object({ invoiceId: panelId, amount: money, description }),
    capability: 'invoiceDiscount',
    onFailed: null,
    toWire: (p) => ({ invoice_id: p.invoiceId, ...moneyFields(p.amount), description: p.description }),
    wire: z.object({
      invoice_id: z.string().min(1).max(64).describe("the panel's id of the unpaid invoice"),
      amount: wireAmount('the discount to take off: add a line of minus this amount'),
      currency: wireCurrency,
      description: wireDescription("the line's text, e.g. \"Gold tier renewal discount (5%)\""),
    }),
    example: { invoiceId: '1001', amount: { currency: 'USD', minor: 500 }, description: 'Gold tier renewal discount (5%)' },
  }),
  'client.tier': definePanelAction({
    description: "puts the client in the panel's group for their tier (absolute, so a repeat is harmless)",
    payload: z.object({ clientId: panelId, tier: z.string().min(1).max(64) }),
    capability: 'clientTier',
    onFailed: null,
    toWire: (p) => ({ client_id: p.clientId, tier: p.tier }),
    wire: z.object({
      client_id: wireClientId,
      tier: z.string().min(1).max(64).describe("the tier's name (the program's default language): map it to your client group; absolute, so a repeat is harmless"),
    }),
    example: { clientId: '42', tier: 'Gold' },
  }),
  'client.credit': definePanelAction({
    description: 'adds account credit to the client (a redemption, or tier cashback)',
    payload: z.object({ clientId: panelId, amount: money, description }),
    capability: 'credit',
    // A redemption paid for it with points: they go back. Cashback spent none: nothing to undo.
    onFailed: 'reverse_points',
    toWire: (p) => ({ client_id: p.clientId, ...moneyFields(p.amount), description: p.description }),
    wire: z.object({
      client_id: wireClientId,
      amount: wireAmount('the credit to add to the client\'s account'),
      currency: wireCurrency,
      description: wireDescription("the credit's note"),
    }),
    example: { clientId: '42', amount: { currency: 'USD', minor: 1000 }, description: '$10.00 account credit (1,000 points)' },
  }),
  'client.email': definePanelAction({
    description:
      'sends the client an email we rendered (expiry warnings, statements, tier changes): by the panel (WHMCS `SendEmail`, custom type `general`), or by SMTP when `email_channel` is `smtp`',
    payload: emailPayload,
    capability: 'email',
    onFailed: null,
    toWire: (p, key) => ({ client_id: p.clientId, to: p.to, subject: p.subject, html: p.html, text: p.text, purpose: p.purpose, message_id: emailMessageId(key) }),
    wire: z.object({
      client_id: wireClientId,
      to: z.email().max(254).describe("the member's address"),
      subject: z.string().min(1).max(255).describe('the subject, in the member\'s language'),
      html: z.string().min(1).max(60_000).describe('the HTML body, complete (we rendered and escaped it)'),
      text: z.string().min(1).max(60_000).describe('the plain-text body'),
      purpose: z.string().min(1).max(64).describe('why it is sent (the email template): `expiry-warning`, `statement`, `tier-changed`'),
      message_id: z.string().min(3).max(255).describe('a Message-ID derived from the idempotency key: use it, so a resend is the same message'),
    }),
    example: {
      clientId: '42',
      to: 'ann@example.com',
      purpose: 'expiry-warning',
      channel: 'panel',
      subject: '120 points expire on 1 March',
      html: '<p>120 points expire on 1 March.</p>',
      text: '120 points expire on 1 March.',
    },
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
    wire: z.object({
      client_id: wireClientId,
      code: z.string().regex(/^[A-Z0-9-]{6,32}$/).describe('the code to create, single-use, for this client only'),
      percent: z.number().int().min(1).max(100).optional().describe('a percentage off (integer 1–100); absent when `amount` is set'),
      amount: wireAmount('an amount off').optional(),
      currency: wireCurrency.optional(),
      expires_at: z.iso.datetime().nullable().describe('RFC 3339 UTC time the code stops working, or null for no end'),
      description: wireDescription("the promotion's note"),
    }),
    example: { clientId: '42', code: 'RWD-7K2M9Q', discount: { type: 'percent', percent: 10 }, expiresAt: '2027-03-01T00:00:00Z', description: '10% off your next order' },
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
