import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WhmcsApiClient } from '../../plugin/panels/whmcs/whmcs-api-client';
import { WhmcsHistory } from '../../plugin/panels/whmcs/whmcs-history';
import { FakeWhmcs } from '../support/fake-whmcs';
import { expectBalancesConsistent, startTestApp, TEST_SECRETS, type TestApp } from '../support/harness';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/plugin/cli/backfill.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run backfill -- --from whmcs` (issue 14): WHMCS's paid invoices read through its API a
 * page at a time become the events the addon sends live for them, and are imported like a file.
 */
describe('npm run backfill -- --from whmcs', () => {
  let app: TestApp;
  let whmcs: FakeWhmcs;
  let dir: string;
  /** The CLI with `env` over these defaults; a null leaves the variable out. */
  const run = (args: string[], env: Record<string, string | null> = {}): Promise<Result> => {
    const vars: Record<string, string | null> = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: app.db.url,
      DATA_DIR: dir,
      PANEL: 'whmcs',
      EVENT_SOURCE: 'test',
      WEBHOOK_SECRET: TEST_SECRETS.webhook,
      SSO_SECRET: TEST_SECRETS.sso,
      SESSION_SECRET: TEST_SECRETS.session,
      LOG_LEVEL: 'warn',
      WHMCS_API_URL: whmcs.url,
      WHMCS_API_IDENTIFIER: whmcs.credentials.identifier,
      WHMCS_API_SECRET: whmcs.credentials.secret,
      ...env,
    };
    return new Promise((resolve) => {
      const childEnv = Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => e[1] !== null));
      execFile(process.execPath, [CLI, ...args], { cwd: dir, maxBuffer: 1 << 24, env: childEnv }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  };
  const payload = async (id: string) => JSON.parse(String((await app.plugin.db.knex('loyalty_events').where({ external_id: id }).first())?.payload ?? 'null')) as Record<string, any> | null;

  beforeAll(async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does) first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-backfill-whmcs-'));
    app = await startTestApp({ realTime: true, program: { refund_window_days: 0 } });
    whmcs = await new FakeWhmcs().start();
    const ann = whmcs.addClient(1, 'USD');
    Object.assign(ann, { firstname: 'Ann', lastname: 'Lee', language: 'turkish', status: 'Active' });
    ann.products.push({ id: 501, pid: 7, groupname: 'Shared Hosting', billingcycle: 'Annually' });
    ann.orders.push({ id: 1, invoiceid: 1001 });
    // The order's invoice: its hosting line is new, and a promotion line (negative) is left out.
    Object.assign(
      whmcs.addInvoice(1001, 1, 'Paid', [
        { id: 1, type: 'Hosting', relid: 501, description: 'Shared', amount: '100.00', taxed: 0 },
        { id: 2, type: 'PromoHosting', relid: 501, description: 'Promo', amount: '-10.00', taxed: 0 },
      ]),
      { invoicenum: 'INV-1001', date: '2026-03-10 09:00:00', datepaid: '2026-03-10 14:00:00', subtotal: '90.00', tax: '0.00', tax2: '0.00', credit: '0.00' },
    );
    // A renewal, part refunded afterwards.
    Object.assign(whmcs.addInvoice(1002, 1, 'Paid', [{ id: 3, type: 'Hosting', relid: 501, description: 'Shared', amount: '100.00', taxed: 0 }]), {
      date: '2026-09-10 09:00:00',
      datepaid: '2026-09-10 14:00:00',
      subtotal: '100.00',
      tax: '0.00',
      credit: '0.00',
      transactions: [
        { id: 76, date: '2026-09-10 14:00:00', amountin: '100.00', amountout: '0.00', refundid: 0 },
        { id: 77, date: '2026-09-12 09:30:00', amountin: '0.00', amountout: '40.00', refundid: 76 },
      ],
    });
    whmcs.addInvoice(1003, 1, 'Unpaid', [{ id: 4, type: 'Hosting', relid: 501, description: 'Shared', amount: '100.00', taxed: 0 }]);
    // More paid invoices than a page holds.
    whmcs.addClient(2, 'EUR');
    for (let i = 0; i < 130; i++) {
      Object.assign(whmcs.addInvoice(2000 + i, 2, 'Paid', [{ id: 10_000 + i, type: 'DomainRenew', relid: 0, description: 'example.com', amount: '5.00', taxed: 0 }]), {
        date: '2026-10-01 10:00:00',
        datepaid: '2026-10-01 10:00:00',
        subtotal: '5.00',
        tax: '0.00',
        credit: '0.00',
      });
    }
    // A client WHMCS has no currency for: refused, with the reason.
    whmcs.addClient(3, '');
    Object.assign(whmcs.addInvoice(3001, 3, 'Paid', [{ id: 5, type: 'Other', relid: 0, description: 'x', amount: '9.00', taxed: 0 }]), {
      datepaid: '2026-10-02 10:00:00',
      subtotal: '9.00',
    });
  });
  afterAll(async () => {
    await whmcs.stop();
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('imports every paid invoice, page by page, as the events the addon sends, then adds nothing on a re-run', async () => {
    const first = await run(['--from', 'whmcs', '--time-zone', 'Europe/Istanbul']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('done, 132 invoice(s) for 2 member(s) (2 new)');
    expect(first.stdout).toMatch(/refused 1\b/);
    // 14:00 in Istanbul is 11:00 UTC: the addon's id for the payment, and its date as the addon writes it.
    const paid = await payload('whmcs:invoice:1001:paid:20260310T110000Z');
    expect(paid).toMatchObject({
      type: 'invoice.paid',
      occurred_at: '2026-03-10T14:00:00+03:00',
      client: { id: '1', email: 'client1@example.com', name: 'Ann Lee', locale: 'tr', currency: 'USD', status: 'active' },
      invoice: {
        id: '1001',
        number: 'INV-1001',
        currency: 'USD',
        total: '90.00',
        items: [{ id: '1', type: 'new', amount: '100.00', service_id: '501', product_id: '7', product_group: 'shared-hosting', billing_cycle: 'annually' }],
      },
    });
    expect((await payload('whmcs:invoice:1002:paid:20260910T110000Z'))?.invoice.items[0].type).toBe('renewal');
    expect(await payload('whmcs:invoice:1002:refund:77')).toMatchObject({ type: 'invoice.refunded', occurred_at: '2026-09-12T09:30:00+03:00', invoice: { id: '1002', refunded: '40.00' } });
    expect(await app.plugin.db.knex('loyalty_events').where('external_id', 'like', 'whmcs:invoice:1003%').first()).toBeUndefined();

    const ann = await app.plugin.db.repos.members.findByPanelClientId('1');
    const invoices = await app.plugin.db.knex('loyalty_invoices').where({ member_id: ann?.id }).orderBy('invoice_id');
    expect(invoices.map((i: { invoice_id: string; total_minor: unknown; refunded_minor: unknown }) => [i.invoice_id, Number(i.total_minor), Number(i.refunded_minor)])).toEqual([
      ['1001', 9000, 0],
      ['1002', 10000, 4000],
    ]);
    const eur = await app.plugin.db.repos.members.findByPanelClientId('2');
    expect(Number((await app.plugin.db.knex('loyalty_invoices').where({ member_id: eur?.id }).count({ n: '*' }).first())?.n)).toBe(130);
    const refused = fs.readFileSync(path.join(dir, 'whmcs-history.refused.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; reasons: Array<{ path: string; message: string }> });
    expect(refused).toEqual([{ line: 133, id: 'whmcs:invoice:3001', reasons: [{ path: 'client.currency', message: 'client 3 has no currency code in WHMCS' }] }]);
    await expectBalancesConsistent(app.plugin);

    const before = await app.plugin.db.knex('loyalty_ledger').count({ n: '*' }).first();
    const again = await run(['--from', 'whmcs', '--time-zone', 'Europe/Istanbul']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('done, 0 invoice(s)');
    // The 132 payments and the refund, each found in the inbox.
    expect(again.stdout).toMatch(/duplicates 133\b/);
    expect(await app.plugin.db.knex('loyalty_ledger').count({ n: '*' }).first()).toEqual(before);

    // Read again after the client's email changed in WHMCS: the bodies differ from what was
    // sent, the ids name the same payments and refund: duplicates, not refusals.
    const client1 = whmcs.clients.get('1') as { email: string };
    const email = client1.email;
    client1.email = 'ann.new@example.com';
    try {
      const changed = await run(['--from', 'whmcs', '--time-zone', 'Europe/Istanbul']);
      expect(changed.stdout).toMatch(/duplicates 133\b/);
      expect(changed.stdout).toMatch(/refused 1\b/);
    } finally {
      client1.email = email;
    }
  }, 60_000);

  it('refuses a bad command line, a missing API and a refused credential, saying what to do', async () => {
    const usage = await run(['--from', 'blesta']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--from must be whmcs');
    expect((await run(['--from', 'whmcs', '--file', 'x.jsonl'])).stderr).toContain('leave out --file');
    expect((await run(['--from', 'whmcs', '--time-zone', 'Mars/Olympus'])).code).toBe(2);

    const unset = await run(['--from', 'whmcs'], { WHMCS_API_URL: null, WHMCS_API_IDENTIFIER: null, WHMCS_API_SECRET: null });
    expect(unset.code).toBe(4);
    expect(unset.stderr).toContain('WHMCS_API_URL, WHMCS_API_IDENTIFIER and WHMCS_API_SECRET');

    const denied = await run(['--from', 'whmcs'], { WHMCS_API_SECRET: 'wrong-secret' });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain('Authentication Failed');
    expect(denied.stderr).toContain('WHMCS_API_ACCESS_KEY');
  }, 60_000);
});

type Page = Awaited<ReturnType<WhmcsApiClient['getInvoicesPage']>>;

describe('WhmcsHistory', () => {
  let whmcs: FakeWhmcs;
  beforeEach(async () => {
    whmcs = await new FakeWhmcs().start();
    whmcs.addClient(1, 'USD');
  });
  afterEach(() => whmcs.stop());
  const history = (pageSize = 500) =>
    new WhmcsHistory(new WhmcsApiClient({ url: whmcs.url, ...whmcs.credentials, timeoutMs: 1000 }), { timeZone: 'UTC', pageSize, retryDelayMs: 1 });
  const paid = (id: number, datepaid: string, status = 'Paid') =>
    Object.assign(whmcs.addInvoice(id, 1, status, [{ id, type: 'Other', relid: 0, description: 'x', amount: '10.00', taxed: 0 }]), { date: datepaid, datepaid, subtotal: '10.00' });
  const ids = async (h: WhmcsHistory) => {
    const out: string[] = [];
    for await (const row of h.rows()) out.push('json' in row ? String((row.json as { invoice: { id: string } }).invoice.id) : `refused ${row.id}: ${row.problems.map((p) => p.message).join()}`);
    return out;
  };

  it('yields payments in the order they were paid, not by invoice id', async () => {
    paid(1, '2026-05-01 10:00:00');
    paid(2, '2026-03-01 10:00:00');
    paid(3, '2026-04-01 10:00:00');
    paid(4, '2026-03-01 10:00:00');
    whmcs.addInvoice(5, 1, 'Unpaid');
    const h = history();
    expect(await h.count()).toBe(4);
    expect(await ids(h)).toEqual(['2', '4', '3', '1']);
  });

  it('skips no paid invoice when invoices change status between pages', async () => {
    for (let i = 1; i <= 250; i++) paid(i, '2026-03-01 10:00:00');
    // After the first page, two invoices it held stop being paid (refunded, cancelled).
    let pages = 0;
    const api = new WhmcsApiClient({ url: whmcs.url, ...whmcs.credentials, timeoutMs: 1000 });
    const page = api.getInvoicesPage.bind(api);
    api.getInvoicesPage = async (start, count) => {
      const r = await page(start, count);
      if (++pages === 1) for (const id of ['5', '6']) (whmcs.invoices.get(id) as { status: string }).status = 'Refunded';
      return r;
    };
    const h = new WhmcsHistory(api, { timeZone: 'UTC', pageSize: 100 });
    expect(await h.count()).toBe(250);
    expect(pages).toBe(3);
    expect(new Set(await ids(h)).size).toBe(250);
  });

  it('skips no invoice when invoices are deleted or made during the listing, and lists none twice', async () => {
    for (let i = 1; i <= 1000; i++) paid(i, '2026-03-01 10:00:00');
    let pages = 0;
    whmcs.beforeAnswer = ({ action }) => {
      if (action !== 'GetInvoices') return;
      pages++;
      // Before the second page, three invoices the first listed are deleted: the rest move back three places.
      if (pages === 2) for (const id of [5, 6, 7]) whmcs.invoices.delete(String(id));
      // Before the third, thirty: more than a page's overlap, so the page is asked for from further back.
      if (pages === 3) for (let id = 110; id < 140; id++) whmcs.invoices.delete(String(id));
      if (pages === 4) paid(2000, '2026-03-02 10:00:00');
    };
    const h = history(100);
    expect(await h.count()).toBe(1001);
    const listed = await ids(h);
    expect(listed.filter((r) => r.startsWith('refused'))).toHaveLength(33);
    const found = listed.filter((r) => !r.startsWith('refused'));
    expect(found).toHaveLength(968);
    expect(new Set(found).size).toBe(968);
    expect(found.at(-1)).toBe('2000');
  });

  it.each([
    ['returns fewer rows than asked', (r: Page) => ({ ...r, invoices: r.invoices.slice(0, 25) }), 50],
    ['counts more invoices than it lists', (r: Page) => ({ ...r, total: r.total + 1 }), 6],
  ])('lists every invoice once, and ends, when WHMCS %s', async (_what, answer, maxCalls) => {
    for (let i = 1; i <= 1000; i++) paid(i, '2026-03-01 10:00:00');
    const api = new WhmcsApiClient({ url: whmcs.url, ...whmcs.credentials, timeoutMs: 1000 });
    const page = api.getInvoicesPage.bind(api);
    let calls = 0;
    api.getInvoicesPage = async (start, count) => {
      calls++;
      return answer(await page(start, count));
    };
    const h = new WhmcsHistory(api, { timeZone: 'UTC', pageSize: 250 });
    expect(await h.count()).toBe(1000);
    expect(calls).toBeLessThanOrEqual(maxCalls);
    expect(new Set(await ids(h)).size).toBe(1000);
  });

  it('stops rather than list some invoices when WHMCS ignores where a page starts', async () => {
    for (let i = 1; i <= 30; i++) paid(i, '2026-03-01 10:00:00');
    const api = new WhmcsApiClient({ url: whmcs.url, ...whmcs.credentials, timeoutMs: 1000 });
    const page = api.getInvoicesPage.bind(api);
    api.getInvoicesPage = (_start, count) => page(0, count);
    await expect(new WhmcsHistory(api, { timeZone: 'UTC', pageSize: 10 }).count()).rejects.toMatchObject({ whmcsMessage: expect.stringContaining('limitstart') });
  });

  it('stops rather than lose invoices when WHMCS lists them out of id order', async () => {
    for (let i = 1; i <= 5; i++) paid(i, '2026-03-01 10:00:00');
    const api = new WhmcsApiClient({ url: whmcs.url, ...whmcs.credentials, timeoutMs: 1000 });
    const page = api.getInvoicesPage.bind(api);
    api.getInvoicesPage = async (start, count) => {
      const r = await page(start, count);
      return { ...r, invoices: [...r.invoices].reverse() };
    };
    await expect(new WhmcsHistory(api, { timeZone: 'UTC' }).count()).rejects.toMatchObject({ action: 'GetInvoices', whmcsMessage: expect.stringContaining('id order') });
  });

  it('refuses an invoice WHMCS no longer has, retries a panel that was down, and goes on', async () => {
    paid(1, '2026-03-01 10:00:00');
    paid(2, '2026-03-02 10:00:00');
    paid(3, '2026-03-03 10:00:00');
    const h = history();
    expect(await h.count()).toBe(3);
    whmcs.invoices.delete('2');
    whmcs.fail('GetInvoice', { kind: 'status', status: 503, body: 'down for maintenance' });
    expect(await ids(h)).toEqual(['1', 'refused whmcs:invoice:2: Invoice ID Not Found', '3']);
  });

  it('stops at once on refused credentials: waiting never fixes them', async () => {
    paid(1, '2026-03-01 10:00:00');
    const denied = new WhmcsHistory(new WhmcsApiClient({ url: whmcs.url, identifier: whmcs.credentials.identifier, secret: 'wrong', timeoutMs: 1000 }), {
      timeZone: 'UTC',
      retryDelayMs: 1,
    });
    await expect(denied.count()).rejects.toMatchObject({ accessDenied: true, whmcsMessage: 'Authentication Failed' });
    expect(whmcs.count('GetInvoices')).toBe(1);
  });

  it("reads a large client's orders and services a page at a time, to the last", async () => {
    const client = whmcs.clients.get('1') as { orders: Array<{ id: number; invoiceid: number }>; products: Array<{ id: number; pid: number; groupname: string; billingcycle: string }> };
    for (let i = 1; i <= 600; i++) client.orders.push({ id: i, invoiceid: 5000 + i });
    for (let i = 1; i <= 300; i++) client.products.push({ id: 900 + i, pid: 7, groupname: 'VPS', billingcycle: 'Monthly' });
    // The order's invoice and the service are the last of each list.
    Object.assign(whmcs.addInvoice(5600, 1, 'Paid', [{ id: 1, type: 'Hosting', relid: 1200, description: 'VPS', amount: '10.00', taxed: 0 }]), {
      date: '2026-03-01 10:00:00',
      datepaid: '2026-03-01 10:00:00',
      subtotal: '10.00',
    });
    const rows: unknown[] = [];
    for await (const row of history().rows()) rows.push(row);
    expect(rows).toEqual([{ line: 1, json: expect.objectContaining({ invoice: expect.objectContaining({ items: [expect.objectContaining({ type: 'new', service_id: '1200', product_group: 'vps' })] }) }) }]);
    expect(whmcs.count('GetOrders')).toBe(3);
    expect(whmcs.count('GetClientsProducts')).toBe(2);
  });

  it("leaves out an email the event contract doesn't take, rather than refusing the payment", async () => {
    (whmcs.clients.get('1') as { email: string }).email = 'jürgen@example.de';
    paid(1, '2026-03-01 10:00:00');
    const rows: unknown[] = [];
    for await (const row of history().rows()) rows.push(row);
    expect(rows).toEqual([{ line: 1, json: expect.objectContaining({ occurred_at: '2026-03-01T10:00:00+00:00', client: expect.not.objectContaining({ email: expect.anything() }) }) }]);
  });
});
