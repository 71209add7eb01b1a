import { parseMoney, toDecimalString } from '../domain/money';
import type { FieldProblem } from '../domain/validation';
import { EVENT_ID_PATTERN, NOT_RFC3339 } from './canonical-event';

/**
 * The backfill's CSV format: one row per invoice line, the rows of one invoice next to each
 * other. Each invoice becomes one canonical `invoice.paid` event (canonical-event.ts), which is
 * then validated like any webhook's. Invoice- and client-level columns are read from the
 * invoice's first row (repeating them on every row is fine).
 */
export const HISTORY_CSV_COLUMNS = {
  required: ['client_id', 'invoice_id', 'paid_at', 'currency', 'item_type', 'amount'],
  optional: [
    'event_id',
    'client_email',
    'client_name',
    'client_locale',
    'client_currency',
    'invoice_number',
    'invoice_total',
    'paid_from_credit',
    'tax',
    'item_id',
    'service_id',
    'product_id',
    'product_group',
    'billing_cycle',
  ],
} as const;

export type HistoryCsvRecord = Record<string, string | undefined>;

/** A header's problems: a required column missing, or a column we don't know (a typo would silently drop data). */
export function checkHistoryCsvHeader(columns: readonly string[]): FieldProblem[] {
  const known = new Set<string>([...HISTORY_CSV_COLUMNS.required, ...HISTORY_CSV_COLUMNS.optional]);
  return [
    ...HISTORY_CSV_COLUMNS.required.filter((c) => !columns.includes(c)).map((c) => ({ path: c, message: 'is a required column' })),
    ...columns.filter((c) => !known.has(c)).map((c) => ({ path: c, message: `is not a column of the history CSV (known: ${[...known].join(', ')})` })),
  ];
}

/** The rows of one invoice go together; a row of another client or invoice starts the next. */
export function sameInvoice(a: HistoryCsvRecord, b: HistoryCsvRecord): boolean {
  return a.client_id === b.client_id && a.invoice_id === b.invoice_id;
}

const present = (v: string | undefined): v is string => v !== undefined && v !== '';

/** `2025-11-03`, `2025-11-03 10:15:00` and RFC 3339 date-times; a time without an offset is UTC. */
function toDateTime(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00Z`;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/.exec(value);
  if (m) return `${m[1]}T${m[2]}${m[2]?.length === 5 ? ':00' : ''}Z`;
  return value;
}

/** An id usable in an event id: the panel's own when it fits the pattern, otherwise spelled safely. */
function idPart(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, (c) => `~${c.codePointAt(0)?.toString(16)}`);
}

/**
 * One invoice's rows as a canonical `invoice.paid` event, or the problems that keep it from
 * being one. Without `event_id`, the id is `history:invoice:<invoice_id>:paid`; an invoice the
 * panel's webhook already delivered under its own id is still found by its invoice id.
 */
export function historyCsvEvent(
  rows: readonly HistoryCsvRecord[],
): { json: Record<string, unknown>; problemOf: (problem: FieldProblem) => FieldProblem } | { problems: FieldProblem[]; id?: string } {
  const first = rows[0];
  if (!first) return { problems: [{ path: '', message: 'an invoice needs at least one row' }] };
  const problems: FieldProblem[] = [];
  for (const [n, row] of rows.entries()) {
    for (const c of HISTORY_CSV_COLUMNS.required) if (!present(row[c])) problems.push({ path: rows.length > 1 ? `row ${n + 1}: ${c}` : c, message: 'is required' });
    if (n > 0) {
      for (const c of ['paid_at', 'currency'] as const) {
        if (present(row[c]) && row[c] !== first[c]) problems.push({ path: `row ${n + 1}: ${c}`, message: `differs from the invoice's first row (${first[c] ?? ''})` });
      }
    }
  }
  const invoiceId = first.invoice_id ?? '';
  const id = present(first.event_id) ? first.event_id : `history:invoice:${idPart(invoiceId)}:paid`;
  if (problems.length > 0) return { problems, ...(EVENT_ID_PATTERN.test(id) && { id }) };
  const currency = first.currency as string;
  const opt = (key: string, value: string | undefined) => (present(value) ? { [key]: value } : {});
  const items = rows.map((r) => ({
    ...opt('id', r.item_id),
    type: r.item_type,
    ...opt('service_id', r.service_id),
    ...opt('product_id', r.product_id),
    ...opt('product_group', r.product_group),
    ...opt('billing_cycle', r.billing_cycle),
    amount: r.amount,
  }));
  return {
    problemOf: (problem) => csvProblemOf(problem, rows.length),
    json: {
      id,
      type: 'invoice.paid',
      occurred_at: toDateTime(first.paid_at as string),
      client: {
        id: first.client_id,
        ...opt('email', first.client_email),
        ...opt('name', first.client_name),
        ...opt('locale', first.client_locale),
        ...opt('currency', first.client_currency),
      },
      invoice: {
        id: invoiceId,
        ...opt('number', first.invoice_number),
        currency,
        // With a bad amount there is no total to imply: the bad amount is reported, not a total made of it.
        total: present(first.invoice_total) ? first.invoice_total : (impliedTotal(rows, first.tax, currency) ?? '0'),
        ...opt('paid_from_credit', first.paid_from_credit),
        ...opt('tax', first.tax),
        items,
      },
    },
  };
}

/** The CSV column each field of the event it makes comes from. */
const COLUMN_OF: Record<string, string> = {
  id: 'event_id',
  occurred_at: 'paid_at',
  'client.id': 'client_id',
  'client.email': 'client_email',
  'client.name': 'client_name',
  'client.locale': 'client_locale',
  'client.currency': 'client_currency',
  'invoice.id': 'invoice_id',
  'invoice.number': 'invoice_number',
  'invoice.currency': 'currency',
  'invoice.total': 'invoice_total',
  'invoice.paid_from_credit': 'paid_from_credit',
  'invoice.tax': 'tax',
};
const ITEM_COLUMN_OF: Record<string, string> = { id: 'item_id', type: 'item_type', amount: 'amount', service_id: 'service_id', product_id: 'product_id', product_group: 'product_group', billing_cycle: 'billing_cycle' };

/**
 * A problem's path in the event, as the CSV column a provider can fix (`occurred_at` is their
 * `paid_at`); an item's column is prefixed with its row when the invoice spans several, as the
 * CSV's own checks do. A path with no column of its own stays as it is.
 */
export function csvColumnOf(path: string, rowCount: number): string {
  const item = /^invoice\.items\.(\d+)\.(\w+)$/.exec(path);
  if (item) {
    const column = ITEM_COLUMN_OF[item[2] ?? ''];
    if (!column) return path;
    return rowCount > 1 ? `row ${Number(item[1]) + 1}: ${column}` : column;
  }
  return COLUMN_OF[path] ?? path;
}

/**
 * A problem of the event, as the provider reads it against their CSV: named by its column
 * (`csvColumnOf`), and a date that can't be read told in the forms the CSV takes, not only the
 * event's RFC 3339 (a date out of range keeps its own message).
 */
export function csvProblemOf(problem: FieldProblem, rowCount: number): FieldProblem {
  const path = csvColumnOf(problem.path, rowCount);
  if (path !== 'paid_at' || problem.message !== NOT_RFC3339) return { ...problem, path };
  return { path, message: 'must be a day (2025-03-04), a UTC date and time (2025-03-04 10:15:00) or an RFC 3339 date-time (2025-03-04T10:15:00+03:00)' };
}

/** Σ line amounts + tax, when every one is a valid amount (a bad one is reported by validation, on its line). */
function impliedTotal(rows: readonly HistoryCsvRecord[], tax: string | undefined, currency: string): string | undefined {
  let minor = 0;
  for (const value of [...rows.map((r) => r.amount), ...(present(tax) ? [tax] : [])]) {
    const parsed = parseMoney(value, currency);
    if (!parsed.ok) return undefined;
    minor += parsed.value.minor;
  }
  return toDecimalString({ currency, minor });
}
