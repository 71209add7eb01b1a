import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { definePanelAction, withPanelActions, type FailedPanelAction, type PanelCapabilities } from '../../plugin/domain/panel-actions';
import { PanelError } from '../../plugin/errors';
import { OutboxDispatcher, type CompensationHandler } from '../../plugin/jobs/outbox-dispatcher';
import { GenericPanelApi } from '../../plugin/panels/generic/generic-panel-api';
import type { PanelActionCall, PanelApi, PanelResult } from '../../plugin/panels/panel-api';
import type { OutboxEntry } from '../../plugin/repositories/outbox-repository';
import { panelActionsTable } from '../../scripts/docs';
import { startTestApp, TEST_SECRETS, type TestApp } from '../support/harness';

/** An action the plugin doesn't have, declared in this one place and nowhere else. */
const ACTIONS = withPanelActions({
  'test.ping': definePanelAction({
    description: 'pings the client (test only)',
    payload: z.object({ clientId: z.string().min(1), note: z.string().max(100) }),
    capability: 'credit',
    onFailed: 'reverse_points',
    toWire: (p, key) => ({ client_id: p.clientId, note: `${p.note} [ref ${key}]` }),
    wire: z.object({ client_id: z.string().describe('the client'), note: z.string().describe('what to say') }),
    example: { clientId: '42', note: 'hello' },
  }),
});

let n = 0;
const key = (label: string) => `test:${label}:${process.pid}:${++n}`;

/** The built-in enqueue is typed by the built-in actions; a table extended at run time is not. */
function enqueuePing(app: TestApp, idempotencyKey: string, payload: unknown = { clientId: '42', note: 'hello' }): Promise<{ entry: OutboxEntry }> {
  return app.plugin.db.transaction(({ repos }) =>
    (repos.outbox.enqueue as (a: string, p: unknown, k: string, now: Date) => Promise<{ entry: OutboxEntry }>)('test.ping', payload, idempotencyKey, app.clock.now()),
  );
}

/** Records each compensation and, inside its transaction, what the row looked like. */
function compensationSpy() {
  const calls: Array<{ failed: FailedPanelAction; stateInTransaction: string | undefined }> = [];
  let failNext = 0;
  const handler: CompensationHandler = async ({ repos }, failed) => {
    if (failNext > 0) {
      failNext--;
      throw new Error('compensation could not run');
    }
    calls.push({ failed, stateInTransaction: (await repos.outbox.findByKey(failed.idempotencyKey))?.state });
  };
  return { calls, handler, failOnce: () => (failNext = 1) };
}

/** A panel whose calls the test answers: at once, or when it releases them. */
class ScriptedPanel implements PanelApi {
  readonly name = 'scripted';
  readonly capabilities: PanelCapabilities = { invoiceDiscount: false, clientTier: false, credit: true, email: false, promoCode: false };
  readonly calls: PanelActionCall[] = [];
  private gates: Array<() => void> = [];
  private held = false;
  constructor(private readonly answer: (call: PanelActionCall) => Promise<PanelResult>) {}
  /** The next call waits for `release()`. */
  hold(): void {
    this.held = true;
  }
  async perform(call: PanelActionCall): Promise<PanelResult> {
    this.calls.push(call);
    if (this.held) {
      this.held = false;
      await new Promise<void>((resolve) => this.gates.push(resolve));
    }
    return this.answer(call);
  }
  release(): void {
    for (const open of this.gates.splice(0)) open();
  }
}

const refuse = async (): Promise<PanelResult> => {
  throw new PanelError('panel_refused', { message: 'client is closed', retryable: false });
};

describe('a panel action registered in one place', () => {
  let app: TestApp;
  let server: http.Server;
  let url: string;
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"reference":"ping-1"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rewards-actions.php`;
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => app.plugin.db.knex('loyalty_outbox').delete());

  const dispatcher = (panel: PanelApi, handler?: CompensationHandler, options: { leaseMs?: number } = {}) =>
    new OutboxDispatcher(app.plugin.db, panel, app.clock.now, undefined, {
      actions: ACTIONS,
      compensations: handler ? { reverse_points: handler } : {},
      baseDelayMs: 1000,
      random: () => 0.5,
      ...options,
    });

  it('is enqueued, dispatched to the generic shim in its declared wire form, and documented', async () => {
    const spy = compensationSpy();
    const { entry } = await enqueuePing(app, key('ping'));
    const generic = new GenericPanelApi({ url, secret: TEST_SECRETS.webhook, timeoutMs: 2000 });
    expect(await dispatcher(generic, spy.handler).run()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(received).toHaveLength(1);
    const { headers, body } = received[0] as { headers: http.IncomingHttpHeaders; body: string };
    expect(
      new Webhook(TEST_SECRETS.webhook).verify(body, {
        'webhook-id': String(headers['webhook-id']),
        'webhook-timestamp': String(headers['webhook-timestamp']),
        'webhook-signature': String(headers['webhook-signature']),
      }),
    ).toEqual({ type: 'test.ping', idempotency_key: entry.idempotencyKey, data: { client_id: '42', note: `hello [ref ${entry.idempotencyKey}]` } });
    expect(await app.plugin.db.repos.outbox.findById(entry.id)).toMatchObject({ state: 'sent', panelReference: 'ping-1' });
    expect(spy.calls).toEqual([]);
    expect(panelActionsTable(ACTIONS)).toContain('| `test.ping` | pings the client (test only) | `credit`');
  });

  it('is refused by a dispatcher without a handler for the compensation it names', () => {
    expect(() => new OutboxDispatcher(app.plugin.db, new ScriptedPanel(refuse), app.clock.now, undefined, { actions: ACTIONS })).toThrow(
      /test\.ping \(reverse_points\)/,
    );
  });

  it('fails for good on a panel without its capability, or with a payload that no longer fits, and compensates each once', async () => {
    const spy = compensationSpy();
    const noCredit = new ScriptedPanel(async () => ({ reference: 'x' }));
    Object.assign(noCredit, { capabilities: { invoiceDiscount: true, clientTier: true, credit: false, email: false, promoCode: false } });
    const unsupported = await enqueuePing(app, key('no-credit'));
    const stale = await enqueuePing(app, key('stale'), { clientId: '', note: 'hello' });
    expect(await dispatcher(noCredit, spy.handler).run()).toEqual({ sent: 0, retried: 0, failed: 2 });
    expect(noCredit.calls).toEqual([]);
    expect(await app.plugin.db.repos.outbox.findById(unsupported.entry.id)).toMatchObject({ state: 'failed', lastError: expect.stringMatching(/no credit capability/) });
    expect(await app.plugin.db.repos.outbox.findById(stale.entry.id)).toMatchObject({ state: 'failed', lastError: expect.stringMatching(/clientId/) });
    // Actions are dispatched concurrently, so the two compensations may run in either order.
    expect(spy.calls.map((c) => [c.failed.idempotencyKey, c.stateInTransaction]).sort()).toEqual(
      [
        [unsupported.entry.idempotencyKey, 'failed'],
        [stale.entry.idempotencyKey, 'failed'],
      ].sort(),
    );
    expect(spy.calls.find((c) => c.failed.idempotencyKey === stale.entry.idempotencyKey)?.failed.payload).toEqual({ clientId: '', note: 'hello' });
  });

  it('a refused action runs its compensation exactly once, in the transaction that marks it failed', async () => {
    const spy = compensationSpy();
    const panel = new ScriptedPanel(refuse);
    const { entry } = await enqueuePing(app, key('refused'));
    const d = dispatcher(panel, spy.handler);
    expect(await d.run()).toEqual({ sent: 0, retried: 0, failed: 1 });
    app.clock.advance(24 * 3600_000);
    expect(await d.run()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(spy.calls).toHaveLength(1);
    expect(spy.calls[0]).toEqual({
      failed: { action: 'test.ping', payload: { clientId: '42', note: 'hello' }, idempotencyKey: entry.idempotencyKey, error: 'PanelError: client is closed' },
      stateInTransaction: 'failed',
    });
  });

  it('a compensation that throws leaves the row pending, not failed, and it runs once when tried again', async () => {
    const spy = compensationSpy();
    spy.failOnce();
    const panel = new ScriptedPanel(refuse);
    const { entry } = await enqueuePing(app, key('comp-throws'));
    const d = dispatcher(panel, spy.handler, { leaseMs: 60_000 });
    expect(await d.run()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(await app.plugin.db.repos.outbox.findById(entry.id)).toMatchObject({ state: 'pending', attempts: 1 });
    expect(spy.calls).toEqual([]);
    app.clock.advance(60_000); // the claim's lease ends
    expect(await d.run()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(await d.run()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(spy.calls.map((c) => c.stateInTransaction)).toEqual(['failed']);
    expect(await app.plugin.db.repos.outbox.findById(entry.id)).toMatchObject({ state: 'failed', attempts: 2 });
  });

  it('two dispatchers failing the same row (one with an expired lease) compensate once', async () => {
    const spy = compensationSpy();
    const panel = new ScriptedPanel(refuse);
    const { entry } = await enqueuePing(app, key('fenced'));
    panel.hold();
    const stale = dispatcher(panel, spy.handler, { leaseMs: 60_000 }).run();
    while (panel.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    app.clock.advance(60_000); // the first claim's lease runs out while its panel call hangs
    expect(await dispatcher(panel, spy.handler, { leaseMs: 60_000 }).run()).toEqual({ sent: 0, retried: 0, failed: 1 });
    panel.release();
    await stale;
    expect(panel.calls).toHaveLength(2);
    expect(spy.calls).toHaveLength(1);
    expect(await app.plugin.db.repos.outbox.findById(entry.id)).toMatchObject({ state: 'failed', attempts: 2 });
  });
});
