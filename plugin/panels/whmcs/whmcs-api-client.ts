import axios, { type AxiosInstance } from 'axios';
import { isJsonObject } from '../../domain/json-object';
import { PanelError } from '../../errors';

export interface WhmcsApiOptions {
  /** WHMCS_API_URL: the panel's `includes/api.php`, or its base URL (the path is added). */
  url: string;
  /** API credentials (Setup > Staff Management > API Credentials). */
  identifier: string;
  secret: string;
  /** WHMCS_API_ACCESS_KEY: lets the API answer from an IP address not on WHMCS's allow list. */
  accessKey?: string;
  timeoutMs?: number;
  /** For tests; defaults to a fresh axios instance. */
  http?: AxiosInstance;
}

/** What WHMCS answered, `result: success` already checked. */
export type WhmcsResponse = Record<string, unknown>;

/**
 * WHMCS refused a call (`result: error`, or an HTTP error status). `retryable` follows the
 * outbox's rule: a panel that is down, slow or not yet allowing us (authentication, IP allow
 * list: fixed by the admin, then the action goes) is worth retrying; a refusal of the call
 * itself (a client or invoice that doesn't exist, a bad field) is not. `accessDenied` tells
 * the two retryable kinds apart: waiting a few seconds never fixes credentials, so a command
 * run by hand (the backfill) stops at once on it, where the outbox keeps retrying for hours.
 */
export class WhmcsApiError extends PanelError {
  constructor(
    readonly action: string,
    readonly whmcsMessage: string,
    retryable: boolean,
    readonly httpStatus: number | null = null,
    readonly accessDenied = false,
  ) {
    super('panel_refused', {
      message: `WHMCS ${action} failed${httpStatus === null ? '' : ` (HTTP ${httpStatus})`}: ${whmcsMessage}`,
      help: retryable
        ? 'The action is retried with backoff; check WHMCS_API_URL, the API credentials and the allowed IPs if it keeps failing.'
        : 'WHMCS refused the call itself; retrying will not help. Check the client, invoice or setting it names.',
      retryable,
    });
  }
}

/** Messages WHMCS answers when it doesn't let us in yet: the admin can fix these, so they retry. */
const ACCESS_PROBLEM = /authentication failed|invalid ip|ip address.*not|access denied|api access|permission/i;

/** One credit log entry (GetCredits). */
export interface WhmcsCredit {
  id: string;
  date: string;
  description: string;
  amount: string;
}

/** One entry of a client's email log (GetEmails): what WHMCS sent, as it sent it. */
export interface WhmcsEmail {
  id: string;
  subject: string;
  /** The HTML sent: WHMCS's template around the custom message. */
  message: string;
  /** WHMCS server-local `YYYY-MM-DD HH:MM:SS`. */
  date: string;
}

export interface WhmcsInvoiceItem {
  id: string;
  type: string;
  /** The related object: a service for `Hosting` lines, an upgrade for `Upgrade` lines. */
  relId: string;
  description: string;
  amount: string;
}

/** One payment or refund booked against an invoice (tblaccounts); a refund has a `refundId`. */
export interface WhmcsTransaction {
  id: string;
  date: string;
  amountOut: string;
  refundId: string;
}

/** An invoice as GetInvoices lists it. */
export interface WhmcsInvoiceSummary {
  id: string;
  status: string;
  date: string;
  datePaid: string;
}

export interface WhmcsInvoice {
  id: string;
  clientId: string;
  status: string;
  items: WhmcsInvoiceItem[];
  number: string;
  /** WHMCS server-local date-times, `YYYY-MM-DD HH:MM:SS`; empty or zero when unset. */
  date: string;
  datePaid: string;
  subtotal: string;
  tax: string;
  tax2: string;
  credit: string;
  transactions: WhmcsTransaction[];
}

export interface WhmcsClient {
  id: string;
  email: string;
  currencyCode: string | null;
  groupId: string | null;
  name: string;
  /** WHMCS's language name (`english`, `turkish` …), empty for the system default. */
  language: string;
  status: string;
}

/** A service (GetClientsProducts), for an invoice line's product fields. */
export interface WhmcsService {
  id: string;
  productId: string;
  groupName: string;
  billingCycle: string;
}

/** A new invoice line for UpdateInvoice (`newitemdescription[n]`, `newitemamount[n]`, `newitemtaxed[n]`). */
export interface NewInvoiceItem {
  description: string;
  /** Decimal string; negative for a discount. */
  amount: string;
  taxed: boolean;
}

/**
 * The WHMCS API over HTTP (axios): form-encoded POSTs to `api.php` with identifier/secret
 * authentication and `responsetype=json`. One attempt per call: the outbox dispatcher owns
 * retries, and none of these calls is idempotent (see WhmcsPanelApi for how credit stays once).
 */
export class WhmcsApiClient {
  private readonly http: AxiosInstance;
  readonly endpoint: string;

  constructor(private readonly options: WhmcsApiOptions) {
    this.http = options.http ?? axios.create();
    const u = new URL(options.url);
    if (!u.pathname.endsWith('.php')) u.pathname = `${u.pathname.replace(/\/+$/, '')}/includes/api.php`;
    this.endpoint = u.toString();
  }

  async call(action: string, params: Record<string, string | number | boolean | undefined> = {}): Promise<WhmcsResponse> {
    const form = new URLSearchParams();
    form.set('action', action);
    form.set('identifier', this.options.identifier);
    form.set('secret', this.options.secret);
    if (this.options.accessKey) form.set('accesskey', this.options.accessKey);
    form.set('responsetype', 'json');
    for (const [k, v] of Object.entries(params)) if (v !== undefined) form.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    let res;
    try {
      res = await this.http.post(this.endpoint, form.toString(), {
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        timeout: this.options.timeoutMs ?? 15_000,
        validateStatus: () => true,
        maxContentLength: 4 * 1024 * 1024,
        maxRedirects: 0,
        responseType: 'text',
        transformResponse: (x) => x,
      });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new PanelError('panel_unreachable', { message: `WHMCS ${action}: ${e.code ?? ''} ${e.message ?? String(err)}`.trim(), retryable: true });
    }
    const body = parseJson(res.data);
    const message = typeof body?.message === 'string' ? body.message : String(res.data ?? '').slice(0, 300);
    if (res.status >= 500 || res.status === 408 || res.status === 429) throw new WhmcsApiError(action, message, true, res.status);
    if (body === null) {
      // HTML from a proxy or a maintenance page: the API is not answering as itself.
      throw new WhmcsApiError(action, `not a JSON answer: ${message}`, true, res.status);
    }
    if (body.result !== 'success' || res.status >= 300) {
      // Only WHMCS's own refusal says who we are isn't allowed: a proxy's error page may say "access denied" about anything.
      const denied = res.status === 401 || res.status === 403 || ACCESS_PROBLEM.test(message);
      throw new WhmcsApiError(action, message || 'result is not success', denied, res.status >= 300 ? res.status : null, denied);
    }
    return body;
  }

  async addCredit(clientId: string, amount: string, description: string): Promise<{ creditId: string | null; newBalance: string | null }> {
    const r = await this.call('AddCredit', { clientid: clientId, amount, description });
    return { creditId: scalar(r.creditid) ?? scalar(r.id), newBalance: scalar(r.newbalance) };
  }

  async getCredits(clientId: string): Promise<WhmcsCredit[]> {
    const r = await this.call('GetCredits', { clientid: clientId });
    return listOf(r.credits, 'credit').map((c) => ({
      id: scalar(c.id) ?? '',
      date: scalar(c.date) ?? '',
      description: scalar(c.description) ?? '',
      amount: scalar(c.amount) ?? '',
    }));
  }

  async getClientsDetails(clientId: string): Promise<WhmcsClient> {
    const r = await this.call('GetClientsDetails', { clientid: clientId, stats: false });
    // Newer WHMCS nests the client under `client`; older (and still, alongside) flattens it.
    const c = { ...r, ...(isJsonObject(r.client) ? r.client : {}) };
    return {
      id: scalar(c.id) ?? scalar(c.userid) ?? clientId,
      email: scalar(c.email) ?? '',
      currencyCode: scalar(c.currency_code)?.toUpperCase() ?? null,
      groupId: scalar(c.groupid),
      name: scalar(c.fullname) ?? [scalar(c.firstname), scalar(c.lastname)].filter(Boolean).join(' '),
      language: scalar(c.language) ?? '',
      status: scalar(c.status) ?? '',
    };
  }

  /**
   * One page of every invoice, whatever its status, oldest id first, and how many there are
   * in all. Not filtered by status: an invoice leaving a filtered set during a read would shift
   * every later one back a place, past the next page's start.
   */
  async getInvoicesPage(start: number, count: number): Promise<{ total: number; invoices: WhmcsInvoiceSummary[] }> {
    const r = await this.call('GetInvoices', { orderby: 'id', order: 'asc', limitstart: start, limitnum: count });
    const total = Number(scalar(r.totalresults));
    if (!Number.isSafeInteger(total) || total < 0) throw new WhmcsApiError('GetInvoices', `totalresults is not a count (${JSON.stringify(r.totalresults)})`, false);
    return {
      total,
      invoices: listOf(r.invoices, 'invoice').map((i) => ({
        id: scalar(i.id) ?? '',
        status: scalar(i.status) ?? '',
        date: scalar(i.date) ?? '',
        datePaid: scalar(i.datepaid) ?? '',
      })),
    };
  }

  /** The ids of the invoices of a client's orders (a service's first invoice belongs to its order). */
  async getOrderInvoiceIds(clientId: string): Promise<Set<string>> {
    const orders = await this.allPages('GetOrders', { userid: clientId }, 'orders', 'order');
    return new Set(orders.flatMap((o) => scalar(o.invoiceid) ?? []));
  }

  async getClientServices(clientId: string): Promise<WhmcsService[]> {
    const products = await this.allPages('GetClientsProducts', { clientid: clientId }, 'products', 'product');
    return products.map((p) => ({
      id: scalar(p.id) ?? '',
      productId: scalar(p.pid) ?? '',
      groupName: scalar(p.groupname) ?? '',
      billingCycle: scalar(p.billingcycle) ?? '',
    }));
  }

  /**
   * The client's email log entries whose subject contains `subject` (WHMCS matches it loosely,
   * as SQL LIKE). A page is 25 entries: each carries the whole message.
   */
  async getEmails(clientId: string, subject: string): Promise<WhmcsEmail[]> {
    const emails = await this.allPages('GetEmails', { clientid: clientId, subject }, 'emails', 'email', 25);
    return emails.map((e) => ({ id: scalar(e.id) ?? '', subject: scalar(e.subject) ?? '', message: scalar(e.message) ?? '', date: scalar(e.date) ?? '' }));
  }

  /** Every row of a paged list, a page at a time: one answer of a large client's orders outgrows the answer size cap. */
  private async allPages(action: string, params: Record<string, string>, list: string, row: string, size = 250): Promise<Array<Record<string, unknown>>> {
    const rows: Array<Record<string, unknown>> = [];
    for (let start = 0; ; start += size) {
      const r = await this.call(action, { ...params, limitstart: start, limitnum: size });
      const page = listOf(r[list], row);
      rows.push(...page);
      // A short page is the last; so is reaching the total, should a server ignore limitstart.
      if (page.length < size || rows.length >= Number(scalar(r.totalresults) ?? Infinity)) return rows;
    }
  }

  async getInvoice(invoiceId: string): Promise<WhmcsInvoice> {
    const r = await this.call('GetInvoice', { invoiceid: invoiceId });
    return {
      id: scalar(r.invoiceid) ?? invoiceId,
      clientId: scalar(r.userid) ?? '',
      status: scalar(r.status) ?? '',
      items: listOf(r.items, 'item').map((i) => ({
        id: scalar(i.id) ?? '',
        type: scalar(i.type) ?? '',
        relId: scalar(i.relid) ?? '',
        description: scalar(i.description) ?? '',
        amount: scalar(i.amount) ?? '',
      })),
      number: scalar(r.invoicenum) ?? '',
      date: scalar(r.date) ?? '',
      datePaid: scalar(r.datepaid) ?? '',
      subtotal: scalar(r.subtotal) ?? '0',
      tax: scalar(r.tax) ?? '0',
      tax2: scalar(r.tax2) ?? '0',
      credit: scalar(r.credit) ?? '0',
      transactions: listOf(r.transactions, 'transaction').map((t) => ({
        id: scalar(t.id) ?? '',
        date: scalar(t.date) ?? '',
        amountOut: scalar(t.amountout) ?? '0',
        refundId: scalar(t.refundid) ?? '0',
      })),
    };
  }

  async updateInvoice(invoiceId: string, newItems: readonly NewInvoiceItem[]): Promise<void> {
    const params: Record<string, string | number | boolean> = { invoiceid: invoiceId };
    newItems.forEach((item, n) => {
      params[`newitemdescription[${n}]`] = item.description;
      params[`newitemamount[${n}]`] = item.amount;
      params[`newitemtaxed[${n}]`] = item.taxed;
    });
    await this.call('UpdateInvoice', params);
  }

  async updateClient(clientId: string, fields: { groupid?: string }): Promise<void> {
    await this.call('UpdateClient', { clientid: clientId, ...fields });
  }

  /**
   * A custom email of type `general` to the client, in WHMCS's own email template. Not
   * idempotent, and its answer can be lost after WHMCS sent it: WhmcsPanelApi looks for it in
   * the email log (getEmails) before trying again.
   */
  async sendEmail(clientId: string, subject: string, html: string): Promise<void> {
    await this.call('SendEmail', { id: clientId, customtype: 'general', customsubject: subject, custommessage: html });
  }
}

function parseJson(text: unknown): WhmcsResponse | null {
  if (typeof text !== 'string') return isJsonObject(text) ? text : null;
  try {
    const v = JSON.parse(text) as unknown;
    return isJsonObject(v) ? v : null;
  } catch {
    return null;
  }
}


function scalar(v: unknown): string | null {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

/**
 * WHMCS lists come as `{ "credit": [ … ] }`, as `{ "credit": { … } }` when there is one, as a
 * plain array, as an object keyed by index, or as `""` when there are none.
 */
function listOf(v: unknown, key: string): Record<string, unknown>[] {
  const inner = isJsonObject(v) && key in v ? v[key] : v;
  if (Array.isArray(inner)) return inner.filter(isJsonObject);
  if (!isJsonObject(inner)) return [];
  const keys = Object.keys(inner);
  if (keys.length === 0) return [];
  // A PHP array with gaps in its keys is encoded as an object keyed "0", "3"…
  if (keys.every((k) => /^\d+$/.test(k)) && Object.values(inner).every(isJsonObject)) return Object.values(inner) as Record<string, unknown>[];
  return [inner];
}
