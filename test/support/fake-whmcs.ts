import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A WHMCS API (`/includes/api.php`) for tests, answering as WHMCS does: form-encoded POSTs
 * with identifier/secret, JSON answers with `result`, lists nested under singular keys.
 * It keeps clients, their credit log and invoices in memory, records every call, and can be
 * told to fail a call, or to apply one and then drop the connection (the answer is lost).
 */
export interface FakeClient {
  id: number;
  email: string;
  currency_code: string;
  groupid: number;
  credits: Array<{ id: number; date: string; description: string; amount: string; relid: number }>;
  firstname?: string;
  lastname?: string;
  language?: string;
  status?: string;
  /** The email log (GetEmails): what SendEmail sent, newest last. */
  emails: Array<{ id: number; subject: string; message: string; date: string }>;
  /** GetClientsProducts. */
  products: Array<{ id: number; pid: number; groupname: string; billingcycle: string }>;
  /** GetOrders: the invoice of each order. */
  orders: Array<{ id: number; invoiceid: number }>;
}

export interface FakeInvoice {
  id: number;
  userid: number;
  status: string;
  items: Array<{ id: number; type: string; relid: number; description: string; amount: string; taxed: number }>;
  invoicenum?: string;
  /** `YYYY-MM-DD HH:MM:SS`, WHMCS server time. */
  date?: string;
  datepaid?: string;
  subtotal?: string;
  tax?: string;
  tax2?: string;
  credit?: string;
  transactions?: Array<{ id: number; date: string; amountin: string; amountout: string; refundid: number }>;
}

export interface FakeCall {
  action: string;
  params: Record<string, string>;
}

/** `apply-then-hang`: the call takes effect and its answer never comes (the client times out). */
type Fault = { kind: 'status'; status: number; body: string } | { kind: 'drop-after-apply' } | { kind: 'apply-then-hang' } | { kind: 'hang' };

export class FakeWhmcs {
  readonly clients = new Map<string, FakeClient>();
  readonly invoices = new Map<string, FakeInvoice>();
  readonly calls: FakeCall[] = [];
  /** Answers the GetClientsDetails client flattened at the top level (older WHMCS), not nested. */
  flattened = false;
  /** Logs emails without HTML comments, as a WHMCS that cleaned messages up would. */
  stripsComments = false;
  /** Runs before each call is answered: what the panel's users change between two calls. */
  beforeAnswer?: (call: FakeCall) => void;
  private readonly faults = new Map<string, Fault[]>();
  private server: http.Server | undefined;
  private seq = 1000;
  url = '';

  constructor(readonly credentials = { identifier: 'test-identifier', secret: 'test-secret' }) {}

  addClient(id: number, currency = 'USD', groupid = 0): FakeClient {
    const c: FakeClient = { id, email: `client${id}@example.com`, currency_code: currency, groupid, credits: [], emails: [], products: [], orders: [] };
    this.clients.set(String(id), c);
    return c;
  }

  addInvoice(id: number, userid: number, status = 'Unpaid', items: FakeInvoice['items'] = []): FakeInvoice {
    const inv: FakeInvoice = { id, userid, status, items };
    this.invoices.set(String(id), inv);
    return inv;
  }

  /** The next call of `action` meets this fault (queued, one per call). */
  fail(action: string, fault: Fault): void {
    this.faults.set(action, [...(this.faults.get(action) ?? []), fault]);
  }

  count(action: string): number {
    return this.calls.filter((c) => c.action === action).length;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => this.handle(req, raw, res));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/includes/api.php`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
    const params = Object.fromEntries(new URLSearchParams(raw));
    const action = params.action ?? '';
    this.calls.push({ action, params });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url !== '/includes/api.php' || req.method !== 'POST') return json(404, { result: 'error', message: 'Not found' });
    if (params.identifier !== this.credentials.identifier || params.secret !== this.credentials.secret) {
      return json(403, { result: 'error', message: 'Authentication Failed' });
    }
    if (params.responsetype !== 'json') return json(200, { result: 'error', message: 'responsetype json expected' });
    this.beforeAnswer?.({ action, params });
    const fault = this.faults.get(action)?.shift();
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'text/html' });
      return void res.end(fault.body);
    }
    if (fault?.kind === 'hang') return; // Never answers: the client's timeout decides.
    const answer = this.apply(action, params);
    if (fault?.kind === 'drop-after-apply') return void res.socket?.destroy();
    if (fault?.kind === 'apply-then-hang') return;
    json(200, answer);
  }

  private apply(action: string, p: Record<string, string>): Record<string, unknown> {
    const error = (message: string) => ({ result: 'error', message });
    const client = this.clients.get(p.clientid ?? p.id ?? '');
    switch (action) {
      case 'GetClientsDetails': {
        if (!client) return error('Client Not Found');
        const fields = {
          id: client.id,
          userid: client.id,
          email: client.email,
          currency_code: client.currency_code,
          groupid: client.groupid,
          firstname: client.firstname ?? 'Test',
          lastname: client.lastname ?? 'Client',
          language: client.language ?? '',
          status: client.status ?? 'Active',
        };
        return this.flattened ? { result: 'success', ...fields } : { result: 'success', userid: client.id, client: fields };
      }
      case 'GetCredits': {
        if (!client) return error('Client ID Not Found');
        const list = client.credits;
        // WHMCS: "" for none, one entry as an object, several as a list.
        const credits = list.length === 0 ? '' : { credit: list.length === 1 ? list[0] : list };
        return { result: 'success', totalresults: list.length, clientid: client.id, credits };
      }
      case 'AddCredit': {
        if (!client) return error('Client ID Not Found');
        if (!/^\d+(\.\d+)?$/.test(p.amount ?? '')) return error('Amount must be a positive number');
        const credit = { id: ++this.seq, date: '2026-12-07', description: p.description ?? '', amount: p.amount ?? '', relid: 0 };
        client.credits.push(credit);
        const balance = client.credits.reduce((s, c) => s + Number(c.amount), 0).toFixed(2);
        return { result: 'success', newbalance: balance };
      }
      case 'GetInvoice': {
        const inv = this.invoices.get(p.invoiceid ?? '');
        if (!inv) return error('Invoice ID Not Found');
        const { transactions = [], items, ...rest } = inv;
        return {
          result: 'success',
          ...rest,
          invoiceid: inv.id,
          items: items.length === 0 ? '' : { item: items },
          transactions: transactions.length === 0 ? '' : { transaction: transactions },
        };
      }
      case 'GetInvoices': {
        const start = Number(p.limitstart ?? 0);
        const count = Number(p.limitnum ?? 25);
        const all = [...this.invoices.values()].filter((i) => !p.status || i.status === p.status).sort((a, b) => (p.order === 'desc' ? b.id - a.id : a.id - b.id));
        const page = all.slice(start, start + count).map(({ items: _items, transactions: _t, ...i }) => i);
        return { result: 'success', totalresults: all.length, startnumber: start, numreturned: page.length, invoices: page.length === 0 ? '' : { invoice: page } };
      }
      case 'GetOrders': {
        const owner = this.clients.get(p.userid ?? '');
        const orders = paged(owner?.orders ?? [], p);
        return { result: 'success', totalresults: owner?.orders.length ?? 0, orders: orders.length === 0 ? '' : { order: orders } };
      }
      case 'GetClientsProducts': {
        if (!client) return error('Client Not Found');
        const products = paged(client.products, p);
        return { result: 'success', clientid: client.id, totalresults: client.products.length, products: products.length === 0 ? '' : { product: products } };
      }
      case 'UpdateInvoice': {
        const inv = this.invoices.get(p.invoiceid ?? '');
        if (!inv) return error('Invoice ID Not Found');
        for (let n = 0; p[`newitemdescription[${n}]`] !== undefined; n++) {
          inv.items.push({ id: ++this.seq, type: '', relid: 0, description: p[`newitemdescription[${n}]`] ?? '', amount: p[`newitemamount[${n}]`] ?? '', taxed: Number(p[`newitemtaxed[${n}]`] ?? 0) });
        }
        return { result: 'success', invoiceid: inv.id };
      }
      case 'UpdateClient': {
        if (!client) return error('Client ID Not Found');
        if (p.groupid !== undefined) client.groupid = Number(p.groupid);
        return { result: 'success', clientid: client.id };
      }
      case 'SendEmail': {
        if (!client) return error('Client ID Not Found');
        if (p.customtype !== 'general' || !p.customsubject || !p.custommessage) return error('Email Template not found');
        // WHMCS logs the message it sent: its template's header and footer around ours.
        const body = this.stripsComments ? p.custommessage.replace(/<!--[\s\S]*?-->/g, '') : p.custommessage;
        const message = `<!DOCTYPE html><html><body><div class="header">Hosting Co</div>${body}<div class="footer">Kind regards</div></body></html>`;
        client.emails.push({ id: ++this.seq, subject: p.customsubject, message, date: whmcsNow() });
        return { result: 'success' };
      }
      case 'GetEmails': {
        if (!client) return error('Client ID Not Found');
        const wanted = (p.subject ?? '').toLowerCase();
        // As WHMCS: subject LIKE %…%, newest first, paged by limitstart/limitnum.
        const all = client.emails.filter((e) => e.subject.toLowerCase().includes(wanted)).reverse();
        const page = paged(all, p);
        return { result: 'success', totalresults: all.length, startnumber: Number(p.limitstart ?? 0), numreturned: page.length, emails: page.length === 0 ? '' : { email: page } };
      }
      default:
        return error(`Command Not Found: ${action}`);
    }
  }
}

/** Now as WHMCS writes dates: `YYYY-MM-DD HH:MM:SS`, server time (UTC here). */
function whmcsNow(): string {
  return new Date().toISOString().slice(0, 19).replace('T', ' ');
}

/** A page of a list as WHMCS cuts it: `limitstart` (0) and `limitnum` (25 by default). */
function paged<T>(rows: readonly T[], p: Record<string, string | undefined>): T[] {
  const start = Number(p.limitstart ?? 0);
  return rows.slice(start, start + Number(p.limitnum ?? 25));
}
