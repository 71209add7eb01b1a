import type { Money } from './money';

/**
 * The canonical billing event as the rest of the plugin sees it: camelCase, money already in
 * minor units. The wire format (snake_case JSON, decimal strings) and its zod schema live in
 * `events/canonical-event.ts`, which maps onto these types.
 */
export const EVENT_TYPES = [
  'client.created',
  'client.updated',
  'invoice.created',
  'invoice.paid',
  'invoice.refunded',
  'invoice.chargeback',
  'invoice.reversed',
  'service.created',
  'service.renewed',
  'service.upgraded',
  'service.suspended',
  'service.unsuspended',
  'service.cancelled',
  'action.completed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const ITEM_TYPES = ['new', 'renewal', 'upgrade', 'domain', 'addon', 'setup', 'add_funds', 'mass_pay', 'other'] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

export interface InvoiceItem {
  id?: string;
  type: ItemType;
  serviceId?: string;
  productId?: string;
  productGroup?: string;
  billingCycle?: string;
  amount: Money;
}

export interface Invoice {
  id: string;
  /** The number the customer sees on the invoice, when the panel's differs from its id; shown instead of the id. */
  number?: string;
  currency: string;
  total: Money;
  paidFromCredit: Money;
  refunded?: Money;
  tax?: Money;
  items?: InvoiceItem[];
}

/** A client's status in the panel; `inactive` and `closed` block redemption. */
export const CLIENT_STATUSES = ['active', 'inactive', 'closed'] as const;
export type ClientStatus = (typeof CLIENT_STATUSES)[number];

export interface ClientInfo {
  id: string;
  email?: string;
  name?: string;
  locale?: string;
  currency?: string;
  birthday?: string;
  status?: ClientStatus;
}

export interface ServiceInfo {
  id: string;
  productId?: string;
  productGroup?: string;
  billingCycle?: string;
  amount?: Money;
  previousAmount?: Money;
  /** `service.due_date` (YYYY-MM-DD): the day the renewed period was due. */
  dueDate?: string;
}

export interface BillingEvent {
  id: string;
  type: EventType;
  occurredAt: Date;
  client: ClientInfo;
  invoice?: Invoice;
  service?: ServiceInfo;
  action?: { kind: string; reference: string };
}
