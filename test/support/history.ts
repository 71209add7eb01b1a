/**
 * A panel's history as the backfill reads it (issue 14): paid invoices of many clients over
 * the past months, as canonical events (JSON lines) or as the documented CSV. Deterministic
 * for a seed, so two runs (or the live path and the backfill) see the same history. Shared by
 * the tests and `bench/backfill.ts`.
 */
import type { WireEvent, WireItem } from './events';

export interface HistoryOptions {
  clients: number;
  invoices: number;
  /** History reaches back this many days from `now`. */
  days?: number;
  now?: Date;
  seed?: number;
  /** Event id prefix, so two histories don't share ids. */
  tag?: string;
}

const DAY = 86_400_000;

/** A small fast PRNG (mulberry32): the same seed, the same history. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

/**
 * Invoice `n` of the history (0-based), in date order: client `n mod clients` (so every client
 * has invoices spread over the period), one to three lines (a renewal, sometimes a domain or
 * funds added), now and then partly paid from credit. Generated one at a time, so a million
 * never sit in memory.
 */
export function historyInvoice(n: number, options: HistoryOptions): WireEvent {
  const rand = random((options.seed ?? 1) * 1_000_003 + n);
  const days = options.days ?? 900;
  const now = (options.now ?? new Date()).getTime();
  // Oldest first, a few minutes apart within the same day's slot.
  const at = new Date(now - days * DAY + Math.floor(((n + rand()) / options.invoices) * (days - 1) * DAY));
  const client = String(1 + (n % options.clients));
  const tag = options.tag ?? 'hist';
  const invoiceId = `${tag}-${n + 1}`;
  const renewal = 500 + Math.floor(rand() * 30_000);
  const items: WireItem[] = [
    { id: `${invoiceId}-1`, type: 'renewal', service_id: `s${client}`, product_group: rand() < 0.5 ? 'shared-hosting' : 'vps', billing_cycle: rand() < 0.3 ? 'annually' : 'monthly', amount: money(renewal) },
  ];
  let total = renewal;
  if (rand() < 0.3) {
    const domain = 999 + Math.floor(rand() * 2_000);
    items.push({ id: `${invoiceId}-2`, type: 'domain', amount: money(domain) });
    total += domain;
  }
  if (rand() < 0.1) {
    items.push({ id: `${invoiceId}-3`, type: 'add_funds', amount: '50.00' });
    total += 5_000;
  }
  const credit = rand() < 0.1 ? Math.floor(total / 4) : 0;
  return {
    id: `${tag}:invoice:${invoiceId}:paid`,
    type: 'invoice.paid',
    occurred_at: at.toISOString(),
    client: { id: client, email: `client${client}@example.com`, currency: 'USD' },
    invoice: { id: invoiceId, currency: 'USD', total: money(total), paid_from_credit: money(credit), items },
  };
}

export function* historyEvents(options: HistoryOptions): Generator<WireEvent> {
  for (let n = 0; n < options.invoices; n++) yield historyInvoice(n, options);
}

export const HISTORY_CSV_HEADER = 'event_id,client_id,client_email,invoice_id,paid_at,currency,invoice_total,paid_from_credit,item_id,item_type,service_id,product_group,billing_cycle,amount';

const cell = (v: unknown) => {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** An invoice event as CSV rows (one per line), under `HISTORY_CSV_HEADER`. */
export function historyCsvRows(e: WireEvent): string[] {
  const inv = e.invoice;
  if (!inv) return [];
  return (inv.items ?? []).map((item) =>
    [e.id, e.client.id, e.client.email, inv.id, e.occurred_at, inv.currency, inv.total, inv.paid_from_credit, item.id, item.type, item.service_id, item.product_group, item.billing_cycle, item.amount]
      .map(cell)
      .join(','),
  );
}
