/**
 * Canonical billing events as a panel sends them (DESIGN §6), as typed builders with
 * overridable parts. Shared by the tests (through harness.ts) and by bench/, so both send the
 * same shape the receiver parses.
 */
import { StandardWebhookSigner, type StandardWebhookHeaders } from '../../plugin/lib/standard-webhooks';

export interface WireClient {
  id: string;
  email?: string;
  name?: string;
  locale?: string;
  currency?: string;
  birthday?: string;
}

export interface WireItem {
  id?: string;
  type: string;
  service_id?: string;
  product_id?: string;
  product_group?: string;
  billing_cycle?: string;
  amount: string;
}

export interface WireInvoice {
  id: string;
  /** The number the customer sees, when the panel's differs from its id. */
  number?: string;
  currency: string;
  total: string;
  paid_from_credit?: string;
  tax?: string;
  /** On `invoice.refunded`: the amount this event refunds. */
  refunded?: string;
  items?: WireItem[];
}

/** Unknown fields are allowed on purpose: the contract keeps and ignores them, and tests send broken events too. */
export interface WireEvent {
  id: string;
  type: string;
  occurred_at: string;
  client: WireClient;
  invoice?: WireInvoice;
  [field: string]: unknown;
}

/** A fixed past instant, so events are byte-for-byte repeatable (replays must match). */
export const FIXTURE_OCCURRED_AT = '2026-11-22T10:15:00Z';

let seq = 0;

export interface InvoiceEventOptions {
  id?: string;
  client?: Partial<WireClient>;
  invoice?: Partial<WireInvoice>;
  occurred_at?: string;
}

/**
 * A valid `invoice.paid`: a 100.00 annual renewal and a 20.00 domain (120 points at a rate of
 * 1). Without an invoice id, each call makes a new invoice.
 */
export function invoicePaid(overrides: InvoiceEventOptions = {}): WireEvent {
  const n = ++seq;
  const invoiceId = String(overrides.invoice?.id ?? `inv-${process.pid}-${n}`);
  return {
    id: overrides.id ?? `test:invoice:${invoiceId}:paid`,
    type: 'invoice.paid',
    occurred_at: overrides.occurred_at ?? FIXTURE_OCCURRED_AT,
    client: { id: '42', email: 'ann@example.com', name: 'Ann Lee', locale: 'en', currency: 'USD', ...overrides.client },
    invoice: {
      id: invoiceId,
      currency: 'USD',
      total: '120.00',
      paid_from_credit: '0.00',
      items: [
        { id: `${invoiceId}-1`, type: 'renewal', service_id: '77', product_group: 'shared-hosting', billing_cycle: 'annually', amount: '100.00' },
        { id: `${invoiceId}-2`, type: 'domain', amount: '20.00' },
      ],
      ...overrides.invoice,
    },
  };
}

/**
 * An `invoice.refunded` of `refunded` (this event's amount) on an invoice paid before. The
 * event id names the amount, so two partial refunds of one invoice are two events.
 */
export function invoiceRefunded(invoiceId: string, refunded: string, overrides: InvoiceEventOptions = {}): WireEvent {
  return {
    id: overrides.id ?? `test:invoice:${invoiceId}:refund:${refunded}`,
    type: 'invoice.refunded',
    occurred_at: overrides.occurred_at ?? FIXTURE_OCCURRED_AT,
    client: { id: '42', ...overrides.client },
    invoice: { id: invoiceId, currency: 'USD', total: '120.00', ...overrides.invoice, refunded },
  };
}

/** A `client.*` event (`client.created`, `client.updated`) with a unique id. */
export function clientEvent(type: string, clientId: string, extra: Record<string, unknown> = {}): WireEvent {
  return {
    id: `test:${type}:${clientId}:${++seq}`,
    type,
    occurred_at: FIXTURE_OCCURRED_AT,
    client: { id: clientId, email: `${clientId}@example.com`, name: `Client ${clientId}`, locale: 'en', currency: 'USD' },
    ...extra,
  };
}

/** One delivery as it goes on the wire: the body exactly as signed, and its headers. */
export interface SignedDelivery {
  id: string;
  body: string;
  headers: StandardWebhookHeaders;
}

export function signedDelivery(signer: StandardWebhookSigner, event: WireEvent, options: { body?: string; at?: Date } = {}): SignedDelivery {
  const body = options.body ?? JSON.stringify(event);
  return { id: event.id, body, headers: signer.headers(event.id, body, options.at) };
}

export { StandardWebhookSigner, type StandardWebhookHeaders };

export interface WireService {
  id: string;
  product_id?: string;
  product_group?: string;
  billing_cycle?: string;
  currency?: string;
  amount?: string;
  previous_amount?: string;
  /** On `service.renewed`: the day the renewed period was due. */
  due_date?: string;
}

/** A `service.*` event for service `service.id` of client `clientId`; the id names type, service and `tag`. */
export function serviceEvent(type: string, clientId: string, service: WireService, options: { tag?: string; occurred_at?: string } = {}): WireEvent {
  return {
    id: `test:${type}:${clientId}:${service.id}:${options.tag ?? ++seq}`,
    type,
    occurred_at: options.occurred_at ?? FIXTURE_OCCURRED_AT,
    client: { id: clientId, currency: 'USD' },
    service: { product_group: 'shared-hosting', billing_cycle: 'monthly', ...service },
  };
}

/** An `action.completed` of `kind` on `reference`. */
export function actionEvent(clientId: string, kind: string, reference: string, options: { id?: string; occurred_at?: string } = {}): WireEvent {
  return {
    id: options.id ?? `test:action:${clientId}:${kind}:${++seq}`,
    type: 'action.completed',
    occurred_at: options.occurred_at ?? FIXTURE_OCCURRED_AT,
    client: { id: clientId },
    action: { kind, reference },
  };
}

/** An `invoice.reversed` (paid, then marked unpaid or cancelled in the panel). */
export function invoiceReversed(invoiceId: string, overrides: InvoiceEventOptions = {}): WireEvent {
  return {
    id: overrides.id ?? `test:invoice:${invoiceId}:reversed:${++seq}`,
    type: 'invoice.reversed',
    occurred_at: overrides.occurred_at ?? FIXTURE_OCCURRED_AT,
    client: { id: '42', ...overrides.client },
    invoice: { id: invoiceId, currency: 'USD', total: '120.00', ...overrides.invoice },
  };
}
