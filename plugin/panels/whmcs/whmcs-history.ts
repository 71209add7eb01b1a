import { currencyDigits, toDecimalString } from '../../domain/money';
import { rfc3339In, zonedInstant } from '../../domain/time-zone';
import type { FieldProblem } from '../../domain/validation';
import { PanelError } from '../../errors';
import { isContractEmail } from '../../events/canonical-event';
import { WhmcsApiError, type WhmcsApiClient, type WhmcsClient, type WhmcsInvoice, type WhmcsService } from './whmcs-api-client';

/**
 * A WHMCS installation's paid invoices as canonical events, read through its API (issue 14,
 * `npm run backfill -- --from whmcs`): every invoice listed by `GetInvoices` a page at a time,
 * the paid ones taken in the order they were paid, each read with `GetInvoice` and its client
 * once with `GetClientsDetails`, `GetOrders` and `GetClientsProducts`. The events are those the
 * addon module sends live for the same invoice (integrations/whmcs …/lib/Events.php): the same
 * ids, so a payment the addon sent already is a duplicate, and the same blocks and dates.
 * Refunds booked against a paid invoice follow it as `invoice.refunded` events. What the API
 * does not show is left out: the service behind an upgrade line (the addon reads `tblupgrades`).
 */

/** A row of the history: an event's JSON, or why an invoice could not become one. */
export type WhmcsHistoryRow = { line: number; json: unknown } | { line: number; id?: string; problems: FieldProblem[] };

/** WHMCS invoice item types → canonical item types (`Hosting` lines are new or renewal). */
const ITEM_TYPES: Readonly<Record<string, string>> = {
  Upgrade: 'upgrade',
  Addon: 'addon',
  Domain: 'domain',
  DomainRegister: 'domain',
  DomainTransfer: 'domain',
  DomainRenew: 'domain',
  DomainAddons: 'domain',
  AddFunds: 'add_funds',
  Invoice: 'mass_pay',
  Setup: 'setup',
};

const CYCLES: Readonly<Record<string, string>> = {
  monthly: 'monthly',
  quarterly: 'quarterly',
  'semi-annually': 'semiannually',
  semiannually: 'semiannually',
  annually: 'annually',
  biennially: 'biennially',
  triennially: 'triennially',
  'one time': 'one_time',
  onetime: 'one_time',
};

const LANGUAGES: Readonly<Record<string, string>> = {
  english: 'en', russian: 'ru', turkish: 'tr', vietnamese: 'vi', chinese: 'zh', german: 'de', french: 'fr', spanish: 'es',
  italian: 'it', dutch: 'nl', 'portuguese-br': 'pt-BR', 'portuguese-pt': 'pt-PT', arabic: 'ar', farsi: 'fa', hebrew: 'he',
  hungarian: 'hu', norwegian: 'nb', swedish: 'sv', danish: 'da', ukranian: 'uk', ukrainian: 'uk', czech: 'cs', polish: 'pl',
  romanian: 'ro', croatian: 'hr', estonian: 'et', catalan: 'ca', azerbaijani: 'az', macedonian: 'mk',
};

/** What an invoice's events need of its client, read once per client. */
interface ClientFacts {
  client: Record<string, string>;
  orderInvoiceIds: Set<string>;
  services: Map<string, WhmcsService>;
}

/** An invoice id of `GetInvoices`: the listing's order, and where the last page ended. */
function invoiceNumber(id: string): number {
  const n = Number(id);
  if (id === '' || !Number.isSafeInteger(n) || n <= 0) throw new WhmcsApiError('GetInvoices', `an invoice id is not a number (${JSON.stringify(id)})`, false);
  return n;
}

/**
 * The paid invoices' ids and paid times, as two columns of numbers: an installation's whole
 * list is held for the run, and an object per invoice took about 90 bytes (86 MB for a million
 * invoices, over half the import's memory budget) where these take 16.
 */
class PaidInvoices {
  private ids: Float64Array = new Float64Array(1024);
  private paidAt: Float64Array = new Float64Array(1024);
  private length = 0;

  push(id: number, paidAt: number): void {
    if (this.length === this.ids.length) {
      this.ids = grown(this.ids);
      this.paidAt = grown(this.paidAt);
    }
    this.ids[this.length] = id;
    this.paidAt[this.length] = paidAt;
    this.length++;
  }

  /** By paid date, then id; an invoice without a date last. */
  idsInPaidOrder(): Float64Array {
    const { ids, paidAt } = this;
    const order = new Uint32Array(this.length).map((_, i) => i);
    // Two undated invoices compare as NaN, falsy: their ids decide.
    order.sort((a, b) => (paidAt[a] as number) - (paidAt[b] as number) || (ids[a] as number) - (ids[b] as number));
    return Float64Array.from(order, (i) => ids[i] as number);
  }
}

function grown(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/** Calls of a run that a panel down for a moment fails: each is tried this many times, a while apart. */
const ATTEMPTS = 4;
const FIRST_RETRY_MS = 1_000;

export class WhmcsHistory {
  private readonly clients = new Map<string, Promise<ClientFacts>>();
  private paid?: Promise<Float64Array>;

  constructor(
    private readonly api: WhmcsApiClient,
    private readonly options: {
      /** The WHMCS server's time zone: its API answers local date-times without an offset. */
      timeZone: string;
      pageSize?: number;
      /** Between attempts of a failed call (tests shorten it). */
      retryDelayMs?: number;
    },
  ) {}

  /** How many paid invoices there are (the progress bar's total). */
  async count(): Promise<number> {
    return (await this.paidInvoices()).length;
  }

  /**
   * Each paid invoice's payment and refunds, in the order the invoices were paid (the order
   * the addon sent them live: a renewal invoice is made weeks before it is paid, so id order
   * would give a first-purchase bonus or a tier's multiplier to another invoice than live did).
   */
  async *rows(): AsyncIterable<WhmcsHistoryRow> {
    let line = 0;
    for (const n of await this.paidInvoices()) {
      const id = String(n);
      line++;
      try {
        const invoice = await this.retried(() => this.api.getInvoice(id));
        for (const json of await this.events(invoice)) yield { line, json };
      } catch (err) {
        const refusal = refusalOf(err);
        if (!refusal) throw err;
        yield { line, id: `whmcs:invoice:${id}`, problems: [refusal] };
      }
    }
  }

  /**
   * Every paid invoice's id, by paid date then id: the list of all invoices read a page at a
   * time (ids and dates only), once a run. The list is in id order, so an invoice made during
   * the read only adds to its end; one deleted moves every later one a place back, so each
   * page starts a tenth of the last page's rows before where that one ended and keeps only ids
   * past the last seen. A page that doesn't reach back to a seen id (more deleted than that) is
   * asked for again from further back, down to the first row. The list ends at a page that is
   * shorter than asked and brings nothing new, or at `totalresults`; the page's length is what
   * the panel returns, which may be less than asked.
   */
  private paidInvoices(): Promise<Float64Array> {
    this.paid ??= (async () => {
      const size = Math.max(2, this.options.pageSize ?? 500);
      const paid = new PaidInvoices();
      let lastId = 0;
      for (let start = 0, overlap = 0, back = 0; ; ) {
        const from = Math.max(0, start - back);
        const page = await this.retried(() => this.api.getInvoicesPage(from, size));
        const ids = page.invoices.map((i) => invoiceNumber(i.id));
        // Skipping what was seen relies on the order asked for; a panel that ignored it would lose invoices silently.
        if (ids.some((id, n) => n > 0 && id <= (ids[n - 1] as number))) {
          throw new WhmcsApiError('GetInvoices', 'the invoices did not come in id order (orderby=id, order=asc); upgrade WHMCS or report its version', false);
        }
        const first = ids[0];
        if (from > 0 && (first === undefined || first > lastId)) {
          back = Math.max(1, back * 2);
          continue;
        }
        const fresh = ids.filter((id) => id > lastId).length;
        if (fresh === 0) {
          if (ids.length < size) break;
          // A full page of invoices seen already, one step back from where the last ended: the panel didn't start where asked.
          if (back <= overlap) throw new WhmcsApiError('GetInvoices', `a page from row ${from} held only invoices listed already (limitstart not honoured)`, false);
        }
        page.invoices.forEach((i, n) => {
          if ((ids[n] as number) <= lastId || i.status.toLowerCase() !== 'paid') return;
          const at = this.date(i.datePaid) ?? this.date(i.date);
          paid.push(ids[n] as number, at === null ? Number.POSITIVE_INFINITY : Date.parse(at));
        });
        lastId = Math.max(lastId, ids.at(-1) ?? 0);
        start = from + ids.length;
        overlap = Math.max(1, Math.floor(ids.length / 10));
        back = overlap;
        if (start >= page.total) break;
      }
      return paid.idsInPaidOrder();
    })();
    return this.paid;
  }

  /**
   * `call`, tried again a while later when the panel failed it in a way worth retrying (down,
   * slow, busy). Not when it refused our credentials or address: seconds won't fix that, and
   * the admin running the import is told at once.
   */
  private async retried<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof PanelError) || !err.retryable || (err instanceof WhmcsApiError && err.accessDenied) || attempt >= ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, (this.options.retryDelayMs ?? FIRST_RETRY_MS) * 2 ** (attempt - 1)));
      }
    }
  }

  /** The invoice's payment, then each refund booked against it. */
  private async events(invoice: WhmcsInvoice): Promise<unknown[]> {
    const facts = await this.clientFacts(invoice.clientId);
    const currency = facts.client.currency;
    if (currency === undefined) throw new Refused('client.currency', `client ${invoice.clientId} has no currency code in WHMCS`);
    const digits = currencyDigits(currency) ?? 2;
    const format = (minor: number) => toDecimalString({ currency, minor });
    const items = invoice.items.flatMap((item) => {
      const minor = toMinor(item.amount, digits);
      // Promotion, group and our own discount lines are negative: the contract has none.
      if (minor <= 0) return [];
      const out: Record<string, string> = { ...(item.id && item.id !== '0' && { id: item.id }), type: 'other', amount: format(minor) };
      if (item.type === 'Hosting' || item.type === 'PromoHosting') {
        out.type = facts.orderInvoiceIds.has(invoice.id) ? 'new' : 'renewal';
        const service = facts.services.get(item.relId);
        return [{ ...out, ...(item.relId !== '' && item.relId !== '0' && serviceFields(item.relId, service)) }];
      }
      return [{ ...out, type: ITEM_TYPES[item.type] ?? 'other' }];
    });
    const subtotal = toMinor(invoice.subtotal, digits);
    const tax = toMinor(invoice.tax, digits) + toMinor(invoice.tax2, digits);
    // WHMCS's `total` is after credit; the contract's is before it, with the credit share beside it.
    const total = Math.max(0, subtotal + tax);
    const block: Record<string, unknown> = {
      id: invoice.id,
      currency,
      total: format(total),
      paid_from_credit: format(Math.min(Math.max(0, toMinor(invoice.credit, digits)), total)),
      tax: format(Math.min(Math.max(0, tax), total)),
      items: items.slice(0, 500),
      ...(invoice.number.trim() !== '' && invoice.number.trim().length <= 64 && { number: invoice.number.trim() }),
    };
    const paidAt = this.date(invoice.datePaid) ?? this.date(invoice.date);
    if (paidAt === null) throw new Refused('datepaid', `invoice ${invoice.id} has no paid date`);
    const events: unknown[] = [
      { id: `whmcs:invoice:${invoice.id}:paid:${stamp(paidAt)}`, type: 'invoice.paid', occurred_at: paidAt, client: facts.client, invoice: block },
    ];
    for (const t of invoice.transactions) {
      const refunded = toMinor(t.amountOut, digits);
      if (Number(t.refundId) <= 0 || refunded <= 0) continue;
      events.push({
        id: `whmcs:invoice:${invoice.id}:refund:${t.id}`,
        type: 'invoice.refunded',
        occurred_at: this.date(t.date) ?? paidAt,
        client: facts.client,
        invoice: { ...block, refunded: format(Math.min(refunded, total)) },
      });
    }
    return events;
  }

  private clientFacts(clientId: string): Promise<ClientFacts> {
    let facts = this.clients.get(clientId);
    if (!facts) {
      // Invoices in id order come from clients in any order: keep many, but not every client of a large installation.
      if (this.clients.size >= 10_000) this.clients.clear();
      facts = this.readClient(clientId);
      this.clients.set(clientId, facts);
      facts.catch(() => this.clients.delete(clientId));
    }
    return facts;
  }

  private async readClient(clientId: string): Promise<ClientFacts> {
    const [details, orderInvoiceIds, services] = await Promise.all([
      this.retried(() => this.api.getClientsDetails(clientId)),
      this.retried(() => this.api.getOrderInvoiceIds(clientId)),
      this.retried(() => this.api.getClientServices(clientId)),
    ]);
    return { client: clientBlock(clientId, details), orderInvoiceIds, services: new Map(services.map((s) => [s.id, s])) };
  }

  /** A WHMCS date-time (server local time) as the addon writes it (RFC 3339 with the zone's offset); null for empty or zero dates. */
  private date(value: string): string | null {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(value.trim());
    if (!m || m[1] === '0000') return null;
    const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
    return rfc3339In(zonedInstant({ year, month: month - 1, day, hour, minute, second }, this.options.timeZone), this.options.timeZone);
  }
}

/**
 * Why an invoice can't become an event, as a refusal: ours, or WHMCS refusing a call about it
 * for good (an invoice or client deleted during the run). Null for anything else, which ends the run.
 */
function refusalOf(err: unknown): FieldProblem | null {
  if (err instanceof Refused) return { path: err.path, message: err.message };
  if (err instanceof WhmcsApiError && !err.retryable) return { path: err.action, message: err.whmcsMessage };
  return null;
}

class Refused extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** The contract's client block, as the addon builds it from the same answer. */
function clientBlock(clientId: string, c: WhmcsClient): Record<string, string> {
  const out: Record<string, string> = { id: clientId };
  const email = c.email.trim();
  // Only an address the event contract takes: another would refuse the whole event (the addon leaves it out too).
  if (email !== '' && isContractEmail(email)) out.email = email;
  const name = c.name.trim();
  if (name !== '') out.name = [...name].slice(0, 190).join('');
  const locale = LANGUAGES[c.language.trim().toLowerCase()];
  if (locale) out.locale = locale;
  if (c.currencyCode && /^[A-Z]{3}$/.test(c.currencyCode)) out.currency = c.currencyCode;
  const status = c.status.trim().toLowerCase();
  if (status === 'active' || status === 'inactive' || status === 'closed') out.status = status;
  return out;
}

function serviceFields(serviceId: string, service: WhmcsService | undefined): Record<string, string> {
  if (!service) return { service_id: serviceId };
  const group = slug(service.groupName);
  const cycle = CYCLES[service.billingCycle.trim().toLowerCase()];
  return { service_id: serviceId, ...(service.productId && { product_id: service.productId }), ...(group && { product_group: group }), ...(cycle && { billing_cycle: cycle }) };
}

/** WHMCS amounts ("12.50", "-5.00") in minor units, rounded half up at the currency's digits. */
function toMinor(text: string, digits: number): number {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return 0;
  const fraction = m[3] ?? '';
  let minor = Number(`${m[2] || '0'}${fraction.slice(0, digits).padEnd(digits, '0')}`);
  if ((fraction[digits] ?? '0') >= '5') minor += 1;
  return m[1] === '-' ? -minor : minor;
}

/** `2026-11-22T13:15:00+03:00` → `20261122T101500Z`, the addon's discriminator (in UTC). */
function stamp(rfc3339: string): string {
  return new Date(rfc3339).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}
