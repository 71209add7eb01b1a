import { z } from 'zod';
import { CLIENT_STATUSES, EVENT_TYPES, ITEM_TYPES, type BillingEvent, type EventType } from '../domain/billing-event';
import { isJsonObject } from '../domain/json-object';
import { currencyDigits, parseMoney, type Money } from '../domain/money';
import { fieldProblems, type FieldProblem } from '../domain/validation';

/** The wire format of the public contract (DESIGN §6) and its mapping onto `BillingEvent`. */
export { EVENT_TYPES, ITEM_TYPES };

export const EVENT_ID_PATTERN = /^[A-Za-z0-9:._-]{1,128}$/;
const BILLING_CYCLE = /^(monthly|quarterly|semiannually|annually|biennially|triennially|one_time|[1-9]\d{0,2}[dwmy])$/;

const panelId = z
  .union([z.string(), z.number().int().nonnegative()], { error: 'must be a string or a non-negative integer' })
  .transform(String)
  .pipe(z.string().regex(/^[A-Za-z0-9:._@-]{1,64}$/, 'must be 1–64 characters of letters, digits and :._@-'));

const currency = z
  .string({ error: 'must be an ISO 4217 code such as "USD"' })
  .refine((c) => currencyDigits(c) !== undefined, { error: 'is not a known ISO 4217 currency code' });

const locale = z
  .string()
  .max(35)
  .refine(
    (l) => {
      try {
        return Intl.getCanonicalLocales(l).length === 1;
      } catch {
        return false;
      }
    },
    { error: 'must be a BCP 47 language tag such as "en" or "pt-BR"' },
  );

const isoDate = z.iso.date({ error: 'must be a date as YYYY-MM-DD' });
const amount = z.string({ error: 'must be a decimal string such as "12.50"' });

const email = z.email({ error: 'must be an email address' }).max(254);

/** Whether the contract takes this as a client's email (an importer leaves out one it doesn't). */
export function isContractEmail(value: string): boolean {
  return email.safeParse(value).success;
}

const clientSchema = z.object({
  id: panelId,
  email: email.optional(),
  name: z.string().max(190, 'must be at most 190 characters').optional(),
  locale: locale.optional(),
  currency: currency.optional(),
  birthday: isoDate.optional(),
  // The panel's client status (WHMCS: Active, Inactive, Closed), any case; acted on by client.updated.
  status: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(CLIENT_STATUSES, { error: `must be one of ${CLIENT_STATUSES.join(', ')} (any case)` }))
    .optional(),
});

const NEEDS_CURRENCY = 'needs a currency: set service.currency or client.currency';
/** What an unreadable `occurred_at` is told (an importer may tell it in its own input's terms). */
export const NOT_RFC3339 = 'must be an RFC 3339 date-time such as 2026-11-22T10:15:00Z';
const OVER_TOTAL = 'must not exceed invoice.total';

/** Lines an invoice may have. */
const MAX_ITEMS = 500;

const itemSchema = z.object({
  id: panelId.optional(),
  type: z.enum(ITEM_TYPES, { error: `must be one of ${ITEM_TYPES.join(', ')}` }),
  service_id: panelId.optional(),
  product_id: panelId.optional(),
  product_group: z.string().max(64).optional(),
  billing_cycle: z.string().regex(BILLING_CYCLE, 'must be monthly … triennially, one_time or <n>d|w|m|y').optional(),
  amount,
});

const invoiceSchema = z.object({
  id: panelId,
  number: z.string().min(1).max(64, 'must be at most 64 characters').optional(),
  currency,
  total: amount,
  paid_from_credit: amount.optional(),
  refunded: amount.optional(),
  tax: amount.optional(),
  items: z.array(itemSchema).max(MAX_ITEMS, `must have at most ${MAX_ITEMS} items`).optional(),
});

const serviceSchema = z.object({
  id: panelId,
  product_id: panelId.optional(),
  product_group: z.string().max(64).optional(),
  billing_cycle: z.string().regex(BILLING_CYCLE, 'must be monthly … triennially, one_time or <n>d|w|m|y').optional(),
  currency: currency.optional(),
  amount: amount.optional(),
  previous_amount: amount.optional(),
  // On service.renewed: the day the renewed period was due (domain/service-streak.ts says what on time is).
  due_date: isoDate.optional(),
});

const actionSchema = z.object({
  kind: z.string().regex(/^[a-z0-9_.-]{1,32}$/, 'must be 1–32 characters of a-z, 0-9, _ . -'),
  reference: z.string().min(1).max(128),
});

const eventSchema = z.object({
  id: z.string({ error: 'is required' }).regex(EVENT_ID_PATTERN, 'must be 1–128 characters of A-Z a-z 0-9 : . _ -'),
  type: z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(', ')}` }),
  occurred_at: z.iso.datetime({ offset: true, error: NOT_RFC3339 }),
  client: clientSchema,
  invoice: invoiceSchema.optional(),
  service: serviceSchema.optional(),
  action: actionSchema.optional(),
});

type RawEvent = z.infer<typeof eventSchema>;

export type EventParseResult = { ok: true; event: BillingEvent } | { ok: false; fields: FieldProblem[] };

const REQUIRED_BLOCK: Partial<Record<EventType, 'invoice' | 'service' | 'action'>> = {
  'invoice.created': 'invoice',
  'invoice.paid': 'invoice',
  'invoice.refunded': 'invoice',
  'invoice.chargeback': 'invoice',
  'invoice.reversed': 'invoice',
  'service.created': 'service',
  'service.renewed': 'service',
  'service.upgraded': 'service',
  'service.suspended': 'service',
  'service.unsuspended': 'service',
  'service.cancelled': 'service',
  'action.completed': 'action',
};

/** Before this, an event date is a panel bug (or MySQL would store it wrong), not history. */
const EARLIEST_EVENT = Date.UTC(2000, 0, 1);
/** Panel clocks drift; a day ahead is drift, more is a wrong date. */
const MAX_AHEAD_MS = 86_400_000;

/**
 * Parses a JSON value into a BillingEvent, or lists every bad field with the reason. Money
 * strings are checked against their currency here, so nothing downstream sees a float.
 */
export function parseCanonicalEvent(json: unknown, now: Date = new Date()): EventParseResult {
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) {
    const fields = fieldProblems(parsed.error, json);
    return { ok: false, fields: [...fields, ...amountProblems(json, fields)] };
  }
  const raw = parsed.data;
  const fields: FieldProblem[] = [];
  const block = REQUIRED_BLOCK[raw.type];
  if (block && raw[block] === undefined) fields.push({ path: block, message: `is required for ${raw.type}` });
  if (raw.type === 'invoice.refunded' && raw.invoice && raw.invoice.refunded === undefined) {
    fields.push({ path: 'invoice.refunded', message: 'is required for invoice.refunded: the amount this event refunds' });
  }

  const money = (path: string, text: string | undefined, cur: string | undefined): Money | undefined => {
    if (text === undefined) return undefined;
    if (cur === undefined) {
      fields.push({ path, message: NEEDS_CURRENCY });
      return undefined;
    }
    const r = parseMoney(text, cur);
    if (!r.ok) {
      fields.push({ path, message: r.message });
      return undefined;
    }
    return r.value;
  };

  const occurred = Date.parse(raw.occurred_at);
  if (occurred < EARLIEST_EVENT || occurred > now.getTime() + MAX_AHEAD_MS) {
    fields.push({ path: 'occurred_at', message: 'must be between 2000-01-01 and one day from now' });
  }
  const event = toBillingEvent(raw, money);
  if (event.invoice) {
    const inv = event.invoice;
    const total = fields.some((f) => f.path === 'invoice.total') ? undefined : inv.total;
    fields.push(...overTotal(total, { paid_from_credit: inv.paidFromCredit, refunded: inv.refunded }));
  }
  return fields.length > 0 ? { ok: false, fields } : { ok: true, event };
}

const INVOICE_PARTS = ['paid_from_credit', 'refunded'] as const;

/** An invoice's parts can't be more than its total: the parts over it. Compares amounts that parsed only. */
function overTotal(total: Money | undefined, parts: Record<(typeof INVOICE_PARTS)[number], Money | undefined>): FieldProblem[] {
  if (!total) return [];
  return INVOICE_PARTS.filter((key) => (parts[key]?.minor ?? 0) > total.minor).map((key) => ({ path: `invoice.${key}`, message: OVER_TOTAL }));
}

/**
 * The amounts' checks (against their currency, and against the invoice's total), run on the
 * raw JSON where the schema failed elsewhere (an amount is checked once its block's currency is
 * a known code): a sender learns every problem of an event from one answer, not one per attempt.
 */
function amountProblems(json: unknown, reported: readonly FieldProblem[]): FieldProblem[] {
  const seen = new Set(reported.map((f) => f.path));
  const out: FieldProblem[] = [];
  const check = (path: string, text: unknown, currency: unknown): Money | undefined => {
    if (seen.has(path) || typeof text !== 'string' || typeof currency !== 'string' || currencyDigits(currency) === undefined) return undefined;
    const r = parseMoney(text, currency);
    if (r.ok) return r.value;
    out.push({ path, message: r.message });
    return undefined;
  };
  const record = (v: unknown): Record<string, unknown> | undefined => (isJsonObject(v) ? v : undefined);
  const event = record(json);
  const invoice = record(event?.invoice);
  if (invoice) {
    const total = check('invoice.total', invoice.total, invoice.currency);
    const [paid_from_credit, refunded] = INVOICE_PARTS.map((key) => check(`invoice.${key}`, invoice[key], invoice.currency));
    out.push(...overTotal(total, { paid_from_credit, refunded }));
    check('invoice.tax', invoice.tax, invoice.currency);
    // Past the most an invoice may have, the schema has said so once; its lines aren't each told too.
    if (Array.isArray(invoice.items)) invoice.items.slice(0, MAX_ITEMS).forEach((item, n) => check(`invoice.items.${n}.amount`, record(item)?.amount, invoice.currency));
  }
  const service = record(event?.service);
  if (service) {
    // As `toBillingEvent`: the client's currency stands in only where the service gives none.
    const currency = service.currency === undefined ? record(event?.client)?.currency : service.currency;
    for (const key of ['amount', 'previous_amount']) {
      const path = `service.${key}`;
      if (currency === undefined && typeof service[key] === 'string' && !seen.has(path)) out.push({ path, message: NEEDS_CURRENCY });
      else check(path, service[key], currency);
    }
  }
  return out;
}

function toBillingEvent(
  raw: RawEvent,
  money: (path: string, text: string | undefined, cur: string | undefined) => Money | undefined,
): BillingEvent {
  const zero = (cur: string): Money => ({ currency: cur, minor: 0 });
  const inv = raw.invoice;
  const svc = raw.service;
  const svcCurrency = svc?.currency ?? raw.client.currency;
  return {
    id: raw.id,
    type: raw.type,
    occurredAt: new Date(raw.occurred_at),
    client: { ...raw.client },
    invoice: inv && {
      id: inv.id,
      ...(inv.number !== undefined && { number: inv.number }),
      currency: inv.currency,
      total: money('invoice.total', inv.total, inv.currency) ?? zero(inv.currency),
      paidFromCredit: money('invoice.paid_from_credit', inv.paid_from_credit, inv.currency) ?? zero(inv.currency),
      refunded: money('invoice.refunded', inv.refunded, inv.currency),
      tax: money('invoice.tax', inv.tax, inv.currency),
      items: inv.items?.map((item, n) => ({
        id: item.id,
        type: item.type,
        serviceId: item.service_id,
        productId: item.product_id,
        productGroup: item.product_group,
        billingCycle: item.billing_cycle,
        amount: money(`invoice.items.${n}.amount`, item.amount, inv.currency) ?? zero(inv.currency),
      })),
    },
    service: svc && {
      id: svc.id,
      productId: svc.product_id,
      productGroup: svc.product_group,
      billingCycle: svc.billing_cycle,
      amount: money('service.amount', svc.amount, svcCurrency),
      previousAmount: money('service.previous_amount', svc.previous_amount, svcCurrency),
      dueDate: svc.due_date,
    },
    action: raw.action,
  };
}
