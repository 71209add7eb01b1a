import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Money } from '../../plugin/domain/money';
import { GenericPanelApi } from '../../plugin/panels/generic/generic-panel-api';
import { startTestApp, TEST_SECRETS, type TestApp } from '../support/harness';

/**
 * The outbound contract's retries (Standard Webhooks): every non-2xx and every network error is
 * retried with backoff until the budget is spent; 410 Gone pauses the endpoint; Retry-After is
 * the next attempt's time; one hung receiver call doesn't hold up the other actions.
 */

const USD = (minor: number): Money => ({ currency: 'USD', minor });
let n = 0;
const key = (label: string) => `retry:${label}:${process.pid}:${++n}`;

type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/** A receiver whose answer is chosen per call by a script; it records every delivery. */
class Receiver {
  readonly calls: Array<{ id: string; at: number }> = [];
  script: (id: string, nth: number) => Answer = () => ({ status: 200, body: '{"reference":"ok"}' });
  private readonly hung: http.ServerResponse[] = [];
  private server!: http.Server;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const id = String(req.headers['webhook-id']);
        this.calls.push({ id, at: Date.now() });
        const answer = this.script(id, this.calls.filter((c) => c.id === id).length);
        if (answer === 'hang') {
          this.hung.push(res);
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/rewards-actions.php`;
  }

  /** Answers the calls left hanging. */
  release(status: number): void {
    for (const res of this.hung.splice(0)) res.writeHead(status, { 'content-type': 'application/json' }).end('{"reference":"late"}');
  }

  callsFor(id: string): number {
    return this.calls.filter((c) => c.id === id).length;
  }

  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function enqueueDiscount(app: TestApp, idempotencyKey = key('discount'), invoiceId = '1001') {
  const { entry } = await app.plugin.db.transaction(({ repos }) =>
    repos.outbox.enqueue('invoice.discount', { invoiceId, amount: USD(1250), description: 'Gold tier discount' }, idempotencyKey, app.clock.now()),
  );
  return entry;
}

const row = (app: TestApp, id: number) => app.plugin.db.repos.outbox.findById(id);

describe('outbound panel actions: retries per Standard Webhooks', () => {
  const receiver = new Receiver();
  let app: TestApp;

  beforeAll(async () => {
    await receiver.start();
    app = await startTestApp({
      panelApi: new GenericPanelApi({ url: receiver.url, secret: TEST_SECRETS.webhook, timeoutMs: 1500 }),
      config: { outboxMaxAttempts: 4, outboxConcurrency: 4 },
    });
  });
  afterAll(async () => {
    await app.close();
    await receiver.stop();
  });
  beforeEach(async () => {
    receiver.calls.length = 0;
    receiver.script = () => ({ status: 200, body: '{"reference":"ok"}' });
    await app.plugin.jobs.resumePanel();
    await app.plugin.db.knex('loyalty_outbox').delete();
  });

  it('retries a 401 (a receiver with a wrong clock) and delivers once when it answers 200', async () => {
    const entry = await enqueueDiscount(app);
    receiver.script = (_id, nth) => (nth === 1 ? { status: 401, body: '{"error":"stale timestamp"}' } : { status: 200, body: '{"reference":"line-7"}' });
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(await row(app, entry.id)).toMatchObject({ state: 'pending', attempts: 1, lastError: expect.stringMatching(/answered 401/) });
    app.clock.advance(6 * 3600_000);
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(await row(app, entry.id)).toMatchObject({ state: 'sent', attempts: 2, panelReference: 'line-7' });
    app.clock.advance(6 * 3600_000);
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(receiver.callsFor(entry.idempotencyKey)).toBe(2);
  });

  it.each([301, 302, 400, 404, 409, 422, 429])('retries a %i like any other non-2xx', async (status) => {
    const entry = await enqueueDiscount(app);
    const headers: Record<string, string> = status < 400 ? { location: 'http://127.0.0.1:1/' } : {};
    receiver.script = (_id, nth) => (nth === 1 ? { status, headers } : { status: 204 });
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 1, failed: 0 });
    app.clock.advance(6 * 3600_000);
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(await row(app, entry.id)).toMatchObject({ state: 'sent', panelReference: null });
  });

  it('answers 500 until the retry budget is spent: the action becomes a dead letter, after backoff each time', async () => {
    const entry = await enqueueDiscount(app);
    receiver.script = () => ({ status: 500, body: 'boom' });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 1, failed: 0 });
      const r = await row(app, entry.id);
      delays.push((r?.nextAttemptAt.getTime() ?? 0) - app.clock.now().getTime());
      // Not due before its backoff ends: a run in between sends nothing.
      expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 0, failed: 0 });
      app.clock.advance(delays[delays.length - 1] ?? 0);
    }
    // Jittered exponential backoff from one minute: each delay within [nominal/2, nominal].
    delays.forEach((d, i) => {
      const nominal = 60_000 * 2 ** i;
      expect(d).toBeGreaterThanOrEqual(nominal / 2);
      expect(d).toBeLessThanOrEqual(nominal);
    });
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(await row(app, entry.id)).toMatchObject({ state: 'failed', attempts: 4, lastError: expect.stringMatching(/answered 500: boom/) });
    expect(receiver.callsFor(entry.idempotencyKey)).toBe(4);
    app.clock.advance(24 * 3600_000);
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(receiver.callsFor(entry.idempotencyKey)).toBe(4);
  });

  it('takes Retry-After in seconds or as an HTTP date as the next attempt time, within bounds', async () => {
    const seconds = await enqueueDiscount(app, key('ra-seconds'));
    const date = await enqueueDiscount(app, key('ra-date'));
    const huge = await enqueueDiscount(app, key('ra-huge'));
    const junk = await enqueueDiscount(app, key('ra-junk'));
    const inFiveMinutes = new Date(Date.now() + 300_000).toUTCString();
    receiver.script = (id) => {
      if (id === seconds.idempotencyKey) return { status: 503, headers: { 'retry-after': '120' } };
      if (id === date.idempotencyKey) return { status: 429, headers: { 'retry-after': inFiveMinutes } };
      if (id === huge.idempotencyKey) return { status: 503, headers: { 'retry-after': String(30 * 86_400) } };
      return { status: 503, headers: { 'retry-after': 'soon' } };
    };
    const now = app.clock.now().getTime();
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 4, failed: 0 });
    const delay = async (e: { id: number }) => ((await row(app, e.id))?.nextAttemptAt.getTime() ?? 0) - now;
    expect(await delay(seconds)).toBe(120_000);
    expect(Math.abs((await delay(date)) - 300_000)).toBeLessThanOrEqual(2000);
    // Bounded by the longest backoff (6 hours), so a receiver can't park actions for a month.
    expect(await delay(huge)).toBe(6 * 3600_000);
    // Unreadable: the ordinary backoff (first attempt: 30–60 s).
    expect(await delay(junk)).toBeGreaterThanOrEqual(30_000);
    expect(await delay(junk)).toBeLessThanOrEqual(60_000);

    // Not sent before the time the receiver asked for, and sent right after.
    app.clock.advance(119_000);
    receiver.script = () => ({ status: 200 });
    await app.plugin.jobs.dispatchOutbox();
    expect(await row(app, seconds.id)).toMatchObject({ state: 'pending' });
    app.clock.advance(1000);
    await app.plugin.jobs.dispatchOutbox();
    expect(await row(app, seconds.id)).toMatchObject({ state: 'sent' });
    expect(await row(app, date.id)).toMatchObject({ state: 'pending' });
  });

  it('retries a network error (connection refused, or a receiver that hangs past the timeout)', async () => {
    const refused = new GenericPanelApi({ url: 'http://127.0.0.1:1/nothing', secret: TEST_SECRETS.webhook, timeoutMs: 1000 });
    const other = await startTestApp({ db: app.db, clock: app.clock, panelApi: refused });
    try {
      const entry = await enqueueDiscount(other);
      expect(await other.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 1, failed: 0 });
      expect(await row(other, entry.id)).toMatchObject({ state: 'pending', lastError: expect.stringMatching(/ECONNREFUSED/) });
    } finally {
      await other.stop();
    }
    await app.plugin.db.knex('loyalty_outbox').delete();
    const hanging = await enqueueDiscount(app);
    receiver.script = (_id, nth) => (nth === 1 ? 'hang' : { status: 200 });
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(await row(app, hanging.id)).toMatchObject({ state: 'pending', lastError: expect.stringMatching(/timeout/i) });
    app.clock.advance(6 * 3600_000);
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 1, retried: 0, failed: 0 });
  });

  it('delivers the other actions while the receiver hangs on one', async () => {
    // A long timeout, so the hung call is certainly still in flight while the others finish.
    const patient = await startTestApp({
      db: app.db,
      clock: app.clock,
      panelApi: new GenericPanelApi({ url: receiver.url, secret: TEST_SECRETS.webhook, timeoutMs: 30_000 }),
      config: { outboxConcurrency: 4 },
    });
    try {
      const slow = await enqueueDiscount(app, key('slow'), 'slow');
      const others = await Promise.all(Array.from({ length: 10 }, (_, i) => enqueueDiscount(app, key('fast'), `fast-${i}`)));
      receiver.script = (id) => (id === slow.idempotencyKey ? 'hang' : { status: 200 });
      let finished = false;
      const run = patient.plugin.jobs.dispatchOutbox().finally(() => (finished = true));
      const deadline = Date.now() + 20_000;
      const sentOthers = async () => (await Promise.all(others.map((o) => row(app, o.id)))).filter((r) => r?.state === 'sent').length;
      while ((await sentOthers()) < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await sentOthers()).toBe(10);
      // …while the slow one is still waiting for its answer, and the run with it.
      expect(finished).toBe(false);
      expect(await row(app, slow.id)).toMatchObject({ state: 'pending' });
      receiver.release(200);
      expect(await run).toEqual({ sent: 11, retried: 0, failed: 0 });
      expect(await row(app, slow.id)).toMatchObject({ state: 'sent', panelReference: 'late' });
    } finally {
      await patient.stop();
    }
  });

  it('410 Gone pauses the endpoint for every instance until it is resumed, and /healthz says so', async () => {
    const first = await enqueueDiscount(app, key('gone-1'), 'g1');
    const second = await enqueueDiscount(app, key('gone-2'), 'g2');
    receiver.script = () => ({ status: 410, body: 'endpoint retired' });
    const result = await app.plugin.jobs.dispatchOutbox();
    expect(result).toMatchObject({ sent: 0, failed: 0, paused: true });
    const callsAtPause = receiver.calls.length;
    expect(callsAtPause).toBeGreaterThanOrEqual(1);

    // Nothing failed and no attempt was spent: both wait for the resume.
    for (const e of [first, second]) expect(await row(app, e.id)).toMatchObject({ state: 'pending', attempts: 0 });
    const status = await app.plugin.services.panelEndpoint.status();
    expect(status).toMatchObject({ configured: true, panel: 'generic', endpoint: receiver.url, paused: true, reason: expect.stringMatching(/410/) });

    const health = await app.http.get('/healthz').expect(200);
    expect(health.body).toMatchObject({ status: 'degraded', panel: { endpoint: receiver.url, paused: true } });
    expect(health.body.reason).toMatch(/410 Gone/);
    expect(health.body.help).toMatch(/resumePanel/);

    // Later runs, here and in another instance on the same database, call nothing.
    receiver.script = () => ({ status: 200 });
    app.clock.advance(24 * 3600_000);
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 0, failed: 0, paused: true });
    expect(await app.plugin.jobs.run('dispatch-outbox')).toMatchObject({ status: 'done', counts: { sent: 0, paused: 1 } });
    const other = await startTestApp({ db: app.db, clock: app.clock, panelApi: new GenericPanelApi({ url: receiver.url, secret: TEST_SECRETS.webhook }) });
    try {
      expect(await other.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 0, failed: 0, paused: true });
      expect((await other.http.get('/healthz').expect(200)).body.status).toBe('degraded');
    } finally {
      await other.stop();
    }
    expect(receiver.calls.length).toBe(callsAtPause);

    // Resumed (by the operator, once the receiver is fixed): everything waiting is delivered.
    expect(await app.plugin.jobs.resumePanel()).toBe(true);
    expect(await app.plugin.jobs.resumePanel()).toBe(false);
    expect(await app.plugin.services.panelEndpoint.status()).toMatchObject({ paused: false });
    expect((await app.http.get('/healthz').expect(200)).body).toEqual({ status: 'ok', database: app.db.dialect, migrations: 'current' });
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 2, retried: 0, failed: 0 });
    for (const e of [first, second]) expect(await row(app, e.id)).toMatchObject({ state: 'sent', attempts: 1 });
  });
});
