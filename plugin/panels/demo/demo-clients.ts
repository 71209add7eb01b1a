import { addMonthsUtc } from '../../domain/expiry';
import { cycleMonths } from '../../domain/service-streak';

/** The demo panel's clients: one per language the project's users started from, plus English. */
export interface DemoClient {
  id: string;
  email: string;
  name: string;
  locale: string;
  currency: string;
  /** A typical monthly invoice in the client's currency. */
  sampleAmount: string;
}

export const DEMO_CLIENTS: DemoClient[] = [
  { id: 'demo-1', email: 'ann@example.com', name: 'Ann Lee', locale: 'en', currency: 'USD', sampleAmount: '59.40' },
  { id: 'demo-2', email: 'ivan@example.com', name: 'Иван Петров', locale: 'ru', currency: 'RUB', sampleAmount: '4500.00' },
  { id: 'demo-3', email: 'ayse@example.com', name: 'Ayşe Yılmaz', locale: 'tr', currency: 'TRY', sampleAmount: '80000.00' },
  { id: 'demo-4', email: 'minh@example.com', name: 'Nguyễn Văn Minh', locale: 'vi', currency: 'VND', sampleAmount: '250000' },
  { id: 'demo-5', email: 'li@example.com', name: '李华', locale: 'zh-CN', currency: 'CNY', sampleAmount: '420.00' },
];

/** Demo earn rates: VND has none on purpose, to show what a currency without a rate does. */
export const DEMO_PROGRAM = {
  earn_rates: { USD: '1', EUR: '1', GBP: '1', RUB: '0.01', TRY: '0.03', CNY: '0.15' },
  points_expiry_months: 12,
  // Demo points are spendable at once so the loop shows a balance move; the program default
  // keeps them pending for 14 days.
  refund_window_days: 0,
  // The demo panel "sends" member emails and lists them on its page.
  email_channel: 'panel' as const,
};

/**
 * Rates the demo provider set for counting other currencies towards tiers (base USD), so the
 * Turkish client's large seed invoice makes them Gold and renewals show the tier discount.
 */
export const DEMO_TIER_RATES = { RUB: '0.011', TRY: '0.029', CNY: '0.14', EUR: '1.08', GBP: '1.27' };

/**
 * What the demo form can fire: every canonical type the plugin handles, some in two flavours
 * (a renewal on time or late). Each maps onto one canonical event (`demoEvent`).
 */
export const DEMO_EVENT_TYPES = [
  'invoice.paid',
  'invoice.created',
  'invoice.refunded',
  'invoice.chargeback',
  'invoice.reversed',
  'service.created',
  'service.renewed',
  'service.renewed_late',
  'service.upgraded',
  'service.suspended',
  'service.unsuspended',
  'service.cancelled',
  'client.created',
  'client.updated',
  'action.completed',
] as const;
export type DemoEventType = (typeof DEMO_EVENT_TYPES)[number];

/** The i18n key of a type's label (`demo.type_service_renewed_late`). */
export const demoTypeLabelKey = (type: DemoEventType): string => `demo.type_${type.replace(/\./g, '_')}`;

/** The demo's one service per client: a monthly shared-hosting plan. */
export const DEMO_SERVICE_ID = '77';
const DEMO_BILLING_CYCLE = 'monthly';

/**
 * The due date a renewal of the demo service reports, as a panel's next due date moves: the
 * period after the one last renewed (its due date advanced by the billing cycle), or today's for
 * the first. So renewing again on the same day prepays the next period, on time, and the streak
 * grows, where reporting today's period again would only be `already_counted`.
 */
export function nextDueDate(lastDueDate: string | null, today: Date): string {
  if (lastDueDate === null) return isoDay(today);
  return isoDay(addMonthsUtc(new Date(`${lastDueDate}T00:00:00Z`), cycleMonths(DEMO_BILLING_CYCLE)));
}

export interface DemoEventOptions {
  /** A decimal string in the client's currency (the new price for an upgrade). */
  amount: string;
  /** For an upgrade: the price before it. */
  previousAmount?: string;
  /** The invoice id, or the action's reference. */
  invoiceId: string;
  /** Discriminates the event id where a panel would (a refund's transaction, an upgrade id). */
  nonce: string;
  occurredAt: Date;
  /** For `invoice.paid`: the how-many-th payment of this invoice (after reversals); 1 keeps the plain id. */
  payment?: number;
  /** For an on-time `service.renewed`: the due date of the period it renews (`nextDueDate`); absent, the day it occurred. */
  dueDate?: string;
}

const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** A canonical event (DESIGN §6) as a panel adapter would build it. */
export function demoEvent(type: DemoEventType, client: DemoClient, options: DemoEventOptions): Record<string, unknown> {
  const clientBlock = { id: client.id, email: client.email, name: client.name, locale: client.locale, currency: client.currency };
  const at = options.occurredAt;
  const canonical = type === 'service.renewed_late' ? 'service.renewed' : type;
  const base = { type: canonical, occurred_at: at.toISOString(), client: clientBlock };
  const inv = options.invoiceId;
  const invoice = (extra: Record<string, unknown> = {}) => ({
    id: inv,
    currency: client.currency,
    total: options.amount,
    ...extra,
    items: [{ id: `${inv}-1`, type: 'renewal', service_id: DEMO_SERVICE_ID, product_group: 'shared-hosting', billing_cycle: DEMO_BILLING_CYCLE, amount: options.amount }],
  });
  const service = (extra: Record<string, unknown> = {}) => ({
    id: DEMO_SERVICE_ID,
    product_id: '3',
    product_group: 'shared-hosting',
    billing_cycle: DEMO_BILLING_CYCLE,
    currency: client.currency,
    amount: options.amount,
    ...extra,
  });
  const serviceId = (kind: string) => `demo:service:${DEMO_SERVICE_ID}:${kind}:${options.nonce}`;
  switch (type) {
    case 'client.created':
      return { id: `demo:client:${client.id}:created`, ...base };
    case 'client.updated':
      return { id: `demo:client:${client.id}:updated:${options.nonce}`, ...base, client: { ...clientBlock, birthday: '1990-02-28', status: 'Active' } };
    case 'invoice.paid': {
      const n = options.payment ?? 1;
      return { id: `demo:invoice:${inv}:paid${n > 1 ? `:${n}` : ''}`, ...base, invoice: invoice() };
    }
    case 'invoice.created':
      return { id: `demo:invoice:${inv}:created`, ...base, invoice: invoice() };
    case 'invoice.refunded':
      return { id: `demo:invoice:${inv}:refund:${options.nonce}`, ...base, invoice: invoice({ refunded: options.amount }) };
    case 'invoice.chargeback':
      return { id: `demo:invoice:${inv}:chargeback:${options.nonce}`, ...base, invoice: invoice() };
    case 'invoice.reversed':
      return { id: `demo:invoice:${inv}:reversed:${options.nonce}`, ...base, invoice: invoice() };
    case 'service.created':
      return { id: serviceId('created'), ...base, service: service() };
    case 'service.renewed':
      // Paid on or before its due day: on time.
      return { id: serviceId('renewed'), ...base, service: service({ due_date: options.dueDate ?? isoDay(at) }) };
    case 'service.renewed_late':
      // Due five days ago: late, so the streak resets.
      return { id: serviceId('renewed'), ...base, service: service({ due_date: isoDay(new Date(at.getTime() - 5 * DAY_MS)) }) };
    case 'service.upgraded':
      return { id: serviceId('upgraded'), ...base, service: service({ ...(options.previousAmount && { previous_amount: options.previousAmount }) }) };
    case 'service.suspended':
    case 'service.unsuspended':
    case 'service.cancelled':
      return { id: serviceId(type.split('.')[1] ?? type), ...base, service: service() };
    case 'action.completed':
      return { id: `demo:action:review:${options.nonce}`, ...base, action: { kind: 'review', reference: `demo-review-${inv}` } };
  }
}

/**
 * An amount typed for a currency, written with that currency's minor units where it is the
 * same number ("25.00" is "25" in VND, "25" is "25.00" in USD). Anything else is left as typed,
 * so the demo still shows how the plugin refuses bad input.
 */
export function amountForCurrency(typed: string, digits: number): string {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(typed.trim());
  if (!m) return typed;
  const whole = m[1] ?? '0';
  const fraction = m[2] ?? '';
  if (fraction.length > digits && /[1-9]/.test(fraction.slice(digits))) return typed;
  const kept = fraction.slice(0, digits).padEnd(digits, '0');
  return digits === 0 ? whole : `${whole}.${kept}`;
}

/** Half an amount, in the same minor units: a sensible "previous price" for an upgrade. */
export function halfOf(amount: string, digits: number): string | undefined {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount);
  if (!m) return undefined;
  const minor = BigInt(`${m[1]}${(m[2] ?? '').padEnd(digits, '0')}`) / 2n;
  const text = minor.toString().padStart(digits + 1, '0');
  return digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
