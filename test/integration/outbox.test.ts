import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Database } from '../../plugin/db/database';
import type { Money } from '../../plugin/domain/money';
import { shortRef } from '../../plugin/domain/panel-actions';
import { PanelError } from '../../plugin/errors';
import { OutboxDispatcher, type OutboxDispatcherOptions } from '../../plugin/jobs/outbox-dispatcher';
import { DemoPanelApi } from '../../plugin/panels/demo/demo-panel-api';
import { GenericPanelApi } from '../../plugin/panels/generic/generic-panel-api';
import type { PanelActionCall, PanelApi, PanelCapabilities, PanelResult } from '../../plugin/panels/panel-api';
import { startTestApp, TEST_SECRETS, type TestApp } from '../support/harness';

const USD = (minor: number): Money => ({ currency: 'USD', minor });
let n = 0;
const key = (label: string) => `test:${label}:${process.pid}:${++n}`;

/** An adapter that fails its first `failures` calls, then records what it did. */
class FlakyPanel implements PanelApi {
  readonly name = 'flaky';
  readonly capabilities: PanelCapabilities = { invoiceDiscount: true, clientTier: true, credit: false, email: false, promoCode: false };
  readonly calls: string[] = [];
  constructor(
    private failures: number,
    private readonly error: () => Error = () => new Error('panel is down'),
    private readonly delayMs = 0,
  ) {}
  private async act(idempotencyKey: string): Promise<PanelResult> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failures > 0) {
      this.failures--;
      throw this.error();
    }
    this.calls.push(idempotencyKey);
    return { reference: `ref-${this.calls.length}` };
  }
  perform(call: PanelActionCall) {
    return this.act(call.idempotencyKey);
  }
}

async function rows(app: TestApp) {
  return app.plugin.db.knex('loyalty_outbox').orderBy('id');
}

async function enqueueDiscount(app: TestApp, idempotencyKey = key('discount'), invoiceId = '1001') {
  return app.plugin.db.transaction(({ repos }) =>
    repos.outbox.enqueue('invoice.discount', { invoiceId, amount: USD(1250), description: 'Gold tier discount' }, idempotencyKey, app.clock.now()),
  );
}

function dispatcher(app: TestApp, panel: PanelApi, options: OutboxDispatcherOptions = {}, db = app.plugin.db) {
  // Redemptions give points back through `reverse_points`; these tests queue no redemption.
  const compensations = { reverse_points: async () => undefined };
  return new OutboxDispatcher(db, panel, app.clock.now, undefined, { baseDelayMs: 1000, random: () => 0.5, compensations, ...options });
}

describe('outbox: enqueue', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('keeps one row for a key enqueued in two transactions, returning the first', async () => {
    const k = key('twice');
    const first = await enqueueDiscount(app, k);
    const second = await enqueueDiscount(app, k, '9999');
    expect(first.created).toBe(true);
    expect(second).toEqual({ created: false, entry: first.entry });
    expect((await rows(app)).filter((r) => r.idempotency_key === k)).toHaveLength(1);
    expect(first.entry).toMatchObject({ action: 'invoice.discount', state: 'pending', attempts: 0, payload: { invoiceId: '1001' } });
  });

  it('keeps one row for a key enqueued twice in one transaction, and the transaction still commits', async () => {
    const k = key('same-trx');
    const [a, b] = await app.plugin.db.transaction(async ({ repos }) => {
      const a = await repos.outbox.enqueue('client.tier', { clientId: '42', tier: 'gold' }, k, app.clock.now());
      const b = await repos.outbox.enqueue('client.tier', { clientId: '42', tier: 'gold' }, k, app.clock.now());
      // A write after the duplicate-key error: it commits only if that error failed just its
      // statement, not the transaction.
      await repos.settings.set(`outbox-test-${k}`, 1, app.clock.now());
      return [a, b];
    });
    expect(a.created).toBe(true);
    expect(b).toEqual({ created: false, entry: a.entry });
    expect((await rows(app)).filter((r) => r.idempotency_key === k)).toHaveLength(1);
    expect((await app.plugin.db.repos.settings.all())[`outbox-test-${k}`]).toBe(1);
  });

  it('keeps one row when the same key is enqueued concurrently', async () => {
    const k = key('concurrent');
    const results = await Promise.all(Array.from({ length: 8 }, () => enqueueDiscount(app, k)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.entry.id)).size).toBe(1);
    expect((await rows(app)).filter((r) => r.idempotency_key === k)).toHaveLength(1);
  });

  it('leaves nothing when the enqueuing transaction rolls back', async () => {
    const k = key('rollback');
    await expect(
      app.plugin.db.transaction(async ({ repos }) => {
        await repos.outbox.enqueue('client.credit', { clientId: '42', amount: USD(500), description: 'Cashback' }, k, app.clock.now());
        throw new Error('the change that called for it failed');
      }),
    ).rejects.toThrow('the change that called for it failed');
    expect(await app.plugin.db.repos.outbox.findByKey(k)).toBeNull();
  });

  it('treats keys as case-sensitive and refuses keys a header or index could not carry', async () => {
    const k = key('Case');
    await enqueueDiscount(app, k);
    expect((await enqueueDiscount(app, k.toLowerCase())).created).toBe(true);
    await expect(enqueueDiscount(app, 'has space')).rejects.toThrow(/idempotency key/);
    await expect(enqueueDiscount(app, 'x'.repeat(191))).rejects.toThrow(/idempotency key/);
  });

  it("lists a client's actions by their exact client id: client AB's are not client ab's", async () => {
    const { repos } = app.plugin.db;
    await repos.outbox.enqueue('client.tier', { clientId: 'Case-AB', tier: 'gold' }, key('client-AB'), app.clock.now());
    await repos.outbox.enqueue('client.tier', { clientId: 'case-ab', tier: 'silver' }, key('client-ab'), app.clock.now());
    expect((await repos.outbox.forClient('Case-AB', 10)).map((a) => a.payload)).toEqual([{ clientId: 'Case-AB', tier: 'gold' }]);
    expect((await repos.outbox.forClient('case-ab', 10)).map((a) => a.payload)).toEqual([{ clientId: 'case-ab', tier: 'silver' }]);
  });
});

describe('outbox: dispatcher', () => {
  let app: TestApp;
  const demo = new DemoPanelApi();
  beforeAll(async () => {
    app = await startTestApp({ panelApi: demo });
  });
  afterAll(() => app.close());
  beforeEach(() => app.plugin.db.knex('loyalty_outbox').delete());

  it('sends a row once through the demo adapter, and a second run changes nothing', async () => {
    const { entry } = await enqueueDiscount(app);
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 1, retried: 0, failed: 0 });
    const sent = await app.plugin.db.repos.outbox.findById(entry.id);
    expect(sent).toMatchObject({ state: 'sent', attempts: 1, lastError: null, sentAt: app.clock.now() });
    const received = demo.recent().find((a) => a.idempotencyKey === entry.idempotencyKey);
    expect(received).toMatchObject({ kind: 'invoice_discount', invoiceId: '1001', amount: USD(-1250), reference: sent?.panelReference });
    // The customer reads this line: our key is there only as a short reference at the end.
    expect(received?.description).toBe(`Gold tier discount [ref ${shortRef(entry.idempotencyKey)}]`);

    const before = await rows(app);
    app.clock.advance(24 * 3600_000);
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(await rows(app)).toEqual(before);
  });

  it('demo adapter: a repeated key returns the first reference and records nothing new', async () => {
    const api = new DemoPanelApi();
    const a = await api.applyCredit('42', USD(500), 'Cashback', 'k-1');
    const b = await api.applyCredit('42', USD(500), 'Cashback', 'k-1');
    await api.setClientTier('42', 'gold', 'k-2');
    expect(b).toEqual(a);
    expect(api.recent().map((x) => x.kind)).toEqual(['client_tier', 'credit']);
    expect(api.tierOf('42')).toBe('gold');
  });

  it('retries a failing panel with exponential backoff, then sends once', async () => {
    const panel = new FlakyPanel(2);
    const d = dispatcher(app, panel);
    const { entry } = await enqueueDiscount(app);

    expect(await d.run()).toEqual({ sent: 0, retried: 1, failed: 0 });
    // attempt 1 → nominal 1000 ms, half fixed plus half × 0.5 jitter = 750 ms
    let row = await app.plugin.db.repos.outbox.findById(entry.id);
    expect(row).toMatchObject({ state: 'pending', attempts: 1, lastError: 'Error: panel is down' });
    expect(row!.nextAttemptAt.getTime() - app.clock.now().getTime()).toBe(750);

    app.clock.advance(749);
    expect(await d.run()).toEqual({ sent: 0, retried: 0, failed: 0 });
    app.clock.advance(1);
    expect(await d.run()).toEqual({ sent: 0, retried: 1, failed: 0 });
    row = await app.plugin.db.repos.outbox.findById(entry.id);
    expect(row!.nextAttemptAt.getTime() - app.clock.now().getTime()).toBe(1500);

    app.clock.advance(1500);
    expect(await d.run()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(panel.calls).toEqual([entry.idempotencyKey]);
    expect(await app.plugin.db.repos.outbox.findById(entry.id)).toMatchObject({ state: 'sent', attempts: 3, panelReference: 'ref-1' });
  });

  it('gives up after the maximum attempts, with state failed and the last error', async () => {
    const panel = new FlakyPanel(Infinity, () => new Error('HTTP 503 from panel'));
    const d = dispatcher(app, panel, { maxAttempts: 3 });
    const { entry } = await enqueueDiscount(app);
    for (let i = 0; i < 3; i++) {
      await d.run();
      app.clock.advance(3600_000);
    }
    expect(await app.plugin.db.repos.outbox.findById(entry.id)).toMatchObject({
      state: 'failed',
      attempts: 3,
      lastError: 'Error: HTTP 503 from panel',
      sentAt: null,
    });
    const before = await rows(app);
    expect(await d.run()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(await rows(app)).toEqual(before);
  });

  it('dead letters can be sent again later, but not an action whose failure was compensated', async () => {
    const panel = new FlakyPanel(1, () => new PanelError('panel_refused', { message: 'panel is misconfigured', retryable: false }));
    const d = dispatcher(app, panel, { maxAttempts: 3 });
    const { entry } = await enqueueDiscount(app, key('dead-letter'));
    const credit = await app.plugin.db.transaction(({ repos }) =>
      repos.outbox.enqueue('client.credit', { clientId: '42', amount: USD(500), description: 'Redeemed' }, key('dead-credit'), app.clock.now()),
    );
    await d.run();
    expect(await app.plugin.db.repos.outbox.findById(entry.id)).toMatchObject({ state: 'failed' });
    expect(await app.plugin.db.repos.outbox.findById(credit.entry.id)).toMatchObject({ state: 'failed' });
    // The panel is fixed; the operator queues the dead letters again.
    expect(await d.retryFailed([entry.id, credit.entry.id])).toBe(1);
    expect(await app.plugin.db.repos.outbox.findById(entry.id)).toMatchObject({ state: 'pending', attempts: 0 });
    expect(await app.plugin.db.repos.outbox.findById(credit.entry.id)).toMatchObject({ state: 'failed' });
    expect(await d.run()).toMatchObject({ sent: 1 });
    expect(await app.plugin.db.repos.outbox.findById(entry.id)).toMatchObject({ state: 'sent' });
  });

  it('fails at once when the panel refuses for good, or cannot do the action', async () => {
    const refusing = new FlakyPanel(Infinity, () => new PanelError('panel_refused', { message: 'invoice is paid', retryable: false }));
    const refused = await enqueueDiscount(app);
    const credit = await app.plugin.db.transaction(({ repos }) =>
      repos.outbox.enqueue('client.credit', { clientId: '42', amount: USD(500), description: 'Cashback' }, key('credit'), app.clock.now()),
    );
    expect(await dispatcher(app, refusing).run()).toEqual({ sent: 0, retried: 0, failed: 2 });
    expect(await app.plugin.db.repos.outbox.findById(refused.entry.id)).toMatchObject({ state: 'failed', attempts: 1, lastError: 'PanelError: invoice is paid' });
    expect((await app.plugin.db.repos.outbox.findById(credit.entry.id))?.lastError).toMatch(/no credit capability/);
  });

  it.each([
    ['overlapping runs in one instance', false],
    ['two instances, each with its own pool', true],
  ])('never sends a row twice: %s', async (_label, separatePool) => {
    const keys = await Promise.all(Array.from({ length: 30 }, async (_, i) => (await enqueueDiscount(app, key('parallel'), `inv-${i}`)).entry.idempotencyKey));
    const panel = new FlakyPanel(0, undefined, 2);
    const other = separatePool ? Database.connect(app.db.url) : app.plugin.db;
    try {
      // Small batches, so the two contend for rows over several rounds.
      const [a, b] = await Promise.all([dispatcher(app, panel, { batchSize: 5 }).run(), dispatcher(app, panel, { batchSize: 5 }, other).run()]);
      expect(a.sent + b.sent).toBe(30);
    } finally {
      if (separatePool) await other.close();
    }
    expect([...panel.calls].sort()).toEqual([...keys].sort());
    expect(await app.plugin.db.repos.outbox.countByState()).toEqual({ pending: 0, sent: 30, failed: 0, cancelled: 0 });
  });

  it('claims a row once while its lease holds, and again after the lease expires', async () => {
    const { entry } = await enqueueDiscount(app);
    const now = app.clock.now();
    const outbox = app.plugin.db.repos.outbox;
    expect((await outbox.claimDue(now, 10, 60_000)).map((e) => e.id)).toEqual([entry.id]);
    expect(await outbox.claimDue(now, 10, 60_000)).toEqual([]);
    // An expired claim (its dispatcher died) is taken again; the stale one can't settle it.
    const again = await outbox.claimDue(new Date(now.getTime() + 60_000), 10, 60_000);
    expect(again.map((e) => [e.id, e.attempts])).toEqual([[entry.id, 2]]);
    expect(await outbox.markRetry(entry.id, 1, now, 'stale')).toBe(false);
    expect(await outbox.markSent(entry.id, 'r', now)).toBe(true);
    expect(await outbox.markSent(entry.id, 'r2', now)).toBe(false);
  });
});

describe('outbox: generic adapter', () => {
  let app: TestApp;
  let server: http.Server;
  let url: string;
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  let answer: { status: number; body: string } = { status: 200, body: '{"reference":"item-9"}' };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rewards-actions.php`;
    app = await startTestApp({ panelApi: new GenericPanelApi({ url, secret: TEST_SECRETS.webhook, timeoutMs: 2000 }) });
  });
  afterAll(async () => {
    await app.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    received.length = 0;
    answer = { status: 200, body: '{"reference":"item-9"}' };
  });

  it('POSTs a correctly signed Standard Webhook and stores the panel reference', async () => {
    const { entry } = await enqueueDiscount(app);
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    expect(headers['webhook-id']).toBe(entry.idempotencyKey);
    const verified = new Webhook(TEST_SECRETS.webhook).verify(body, {
      'webhook-id': String(headers['webhook-id']),
      'webhook-timestamp': String(headers['webhook-timestamp']),
      'webhook-signature': String(headers['webhook-signature']),
    });
    expect(verified).toEqual({
      type: 'invoice.discount',
      idempotency_key: entry.idempotencyKey,
      data: { invoice_id: '1001', amount: '12.50', currency: 'USD', description: 'Gold tier discount' },
    });
    expect(() => new Webhook(`whsec_${Buffer.from('another-secret-0123456789').toString('base64')}`).verify(body, headers as Record<string, string>)).toThrow();
    expect(await app.plugin.db.repos.outbox.findById(entry.id)).toMatchObject({ state: 'sent', panelReference: 'item-9' });
  });

  it('retries on a 5xx and on a 4xx too (Standard Webhooks: every non-2xx is retried)', async () => {
    answer = { status: 503, body: 'maintenance' };
    const busy = await enqueueDiscount(app);
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect((await app.plugin.db.repos.outbox.findById(busy.entry.id))?.lastError).toMatch(/answered 503: maintenance/);

    answer = { status: 422, body: '{"error":"invoice_paid"}' };
    app.clock.advance(24 * 3600_000);
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(await app.plugin.db.repos.outbox.findById(busy.entry.id)).toMatchObject({ state: 'pending', attempts: 2, lastError: expect.stringMatching(/answered 422/) });
  });

  it('retries when the panel is unreachable', async () => {
    const closed = new GenericPanelApi({ url: 'http://127.0.0.1:1/nothing', secret: TEST_SECRETS.webhook, timeoutMs: 2000 });
    await enqueueDiscount(app);
    expect(await dispatcher(app, closed).run()).toEqual({ sent: 0, retried: 1, failed: 0 });
  });
});

describe('outbox: demo page', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ panel: 'demo' });
  });
  afterAll(() => app.close());

  it('lists the actions the demo panel received, in the visitor’s language', async () => {
    expect((await app.http.get('/').expect(200)).text).toContain('data-testid="no-actions"');
    const k = key('page');
    await app.plugin.db.transaction(({ repos }) => repos.outbox.enqueue('client.tier', { clientId: 'demo-1', tier: 'Gold' }, k, app.clock.now()));
    await enqueueDiscount(app);
    await app.plugin.jobs.dispatchOutbox();
    const en = (await app.http.get('/').expect(200)).text;
    expect(en).toContain(`data-action-key="${k}"`);
    expect(en).toContain('Tier: Gold');
    expect(en).toContain('Invoice discount line');
    expect(en).toContain('-$12.50');
    const ru = (await app.http.get('/').set('Accept-Language', 'ru').expect(200)).text;
    expect(ru).toContain('Действия, полученные панелью');
    expect(ru).toContain('Уровень: Gold');
  });
});
