import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PANEL_ACTIONS } from '../../plugin/domain/panel-actions';
import { StandardWebhookSigner } from '../../plugin/lib/standard-webhooks';
import { GenericPanelApi } from '../../plugin/panels/generic/generic-panel-api';
import { startTestApp, TEST_SECRETS, type TestApp } from '../support/harness';

/**
 * The README's PHP receiver (integrations/generic/rewards-actions.php), run by Debian's php-cli
 * as the generic adapter's PANEL_ACTIONS_URL: a real dispatch is verified and accepted once;
 * a tampered, stale or wrongly keyed one is refused and acted on never.
 */
const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'integrations/generic/rewards-actions.php');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, deadline = Date.now() + 10_000): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`php -S did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the PHP receiver example behind the generic adapter', () => {
  let php: ChildProcess;
  let store: string;
  let url: string;
  let app: TestApp;

  beforeAll(async () => {
    if (spawnSync('php', ['--version']).status !== 0) throw new Error('php-cli is missing: apt-get install -y php-cli');
    store = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-php-receiver-'));
    const port = await freePort();
    // Every notice or warning PHP raises goes into the answer, where the tests see it (a body that isn't JSON alone).
    php = spawn('php', ['-d', 'display_errors=1', '-d', 'error_reporting=E_ALL', '-S', `127.0.0.1:${port}`, SCRIPT], {
      env: { ...process.env, WEBHOOK_SECRET: TEST_SECRETS.webhook, REWARDS_ACTIONS_DIR: store },
      stdio: 'ignore',
    });
    await waitForPort(port);
    url = `http://127.0.0.1:${port}/rewards-actions.php`;
    // Wall-clock time: the receiver checks the signature's timestamp against its own clock.
    app = await startTestApp({ realTime: true, panelApi: new GenericPanelApi({ url, secret: TEST_SECRETS.webhook, timeoutMs: 5000 }) });
  });
  afterAll(async () => {
    await app?.close();
    php?.kill();
    fs.rmSync(store, { recursive: true, force: true });
  });

  const stored = () => fs.readdirSync(store).map((f) => JSON.parse(fs.readFileSync(path.join(store, f), 'utf8')) as { type: string; data: Record<string, unknown>; reference: string });

  it('accepts a real dispatch of every action, once, and its reference is stored', async () => {
    const keys = {
      credit: `php:credit:${process.pid}`,
      tier: `php:tier:${process.pid}`,
      promo: `php:promo:${process.pid}`,
    };
    await app.plugin.db.transaction(async ({ repos, now }) => {
      await repos.outbox.enqueue('client.credit', { clientId: '42', amount: { currency: 'USD', minor: 1250 }, description: '$12.50 credit' }, keys.credit, now);
      await repos.outbox.enqueue('client.tier', { clientId: '42', tier: 'Gold' }, keys.tier, now);
      await repos.outbox.enqueue(
        'promo.create',
        { clientId: '42', code: 'RWD-ABC123', discount: { type: 'percent', percent: 10 }, expiresAt: null, description: '10% off' },
        keys.promo,
        now,
      );
    });
    expect(await app.plugin.jobs.dispatchOutbox()).toEqual({ sent: 3, retried: 0, failed: 0 });
    expect(await app.plugin.db.repos.outbox.findByKey(keys.credit)).toMatchObject({ state: 'sent', panelReference: expect.stringMatching(/^credit-[0-9a-f]{12}$/) });
    expect(await app.plugin.db.repos.outbox.findByKey(keys.tier)).toMatchObject({ state: 'sent', panelReference: 'group-Gold' });
    expect(stored().find((s) => s.type === 'client.credit')?.data).toEqual({ client_id: '42', amount: '12.50', currency: 'USD', description: '$12.50 credit' });
    expect(stored()).toHaveLength(3);
  });

  it('answers a redelivery of the same key with the first reference, acting once', async () => {
    const signer = new StandardWebhookSigner(TEST_SECRETS.webhook);
    const id = `php:again:${process.pid}`;
    const body = JSON.stringify({ type: 'client.tier', idempotency_key: id, data: { client_id: '7', tier: 'Silver' } });
    const first = await fetch(url, { method: 'POST', headers: { ...signer.headers(id, body) }, body });
    const second = await fetch(url, { method: 'POST', headers: { ...signer.headers(id, body) }, body });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await second.json()).toEqual(await first.json());
    expect(stored().filter((s) => s.data.client_id === '7')).toHaveLength(1);
  });

  it('takes over a claim whose delivery died half-way, rather than answering "in progress" until the plugin gives up; claims are private', async () => {
    const signer = new StandardWebhookSigner(TEST_SECRETS.webhook);
    const id = `php:orphan:${process.pid}`;
    // What a delivery killed between its claim and its answer leaves: an empty, unlocked claim.
    const claim = path.join(store, `rewards-action-${createHash('sha256').update(id).digest('hex')}.json`);
    fs.writeFileSync(claim, '');
    const body = JSON.stringify({ type: 'client.tier', idempotency_key: id, data: { client_id: '8', tier: 'Gold' } });
    const res = await fetch(url, { method: 'POST', headers: { ...signer.headers(id, body) }, body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ reference: 'group-Gold' });
    expect(stored().filter((s) => s.data.client_id === '8')).toHaveLength(1);

    const fresh = `php:private:${process.pid}`;
    const second = JSON.stringify({ type: 'client.tier', idempotency_key: fresh, data: { client_id: '10', tier: 'Gold' } });
    expect((await fetch(url, { method: 'POST', headers: { ...signer.headers(fresh, second) }, body: second })).status).toBe(200);
    expect(fs.statSync(path.join(store, `rewards-action-${createHash('sha256').update(fresh).digest('hex')}.json`)).mode & 0o777).toBe(0o600);
  });

  it('refuses a tampered body, a wrong secret, a stale timestamp and a missing signature with 401, acting on none', async () => {
    const signer = new StandardWebhookSigner(TEST_SECRETS.webhook);
    const before = stored().length;
    const id = `php:tampered:${process.pid}`;
    const body = JSON.stringify({ type: 'client.credit', idempotency_key: id, data: { client_id: '42', amount: '1.00', currency: 'USD', description: 'x' } });
    const headers: Record<string, string> = { ...signer.headers(id, body) };
    const post = (h: Record<string, string>, b = body) => fetch(url, { method: 'POST', headers: h, body: b });

    expect((await post(headers, body.replace('"1.00"', '"1000.00"'))).status).toBe(401);
    expect((await post({ ...headers, 'webhook-id': `${id}x` })).status).toBe(401);
    const other = new StandardWebhookSigner(`whsec_${Buffer.from('another-secret-0123456789abcdef').toString('base64')}`);
    expect((await post({ ...other.headers(id, body) })).status).toBe(401);
    expect((await post({ ...signer.headers(id, body, new Date(Date.now() - 10 * 60_000)) })).status).toBe(401);
    expect((await post({ 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(headers['webhook-timestamp']) })).status).toBe(401);
    expect(stored().length).toBe(before);
    // Among several signatures (a secret being rotated), one valid one is enough.
    const rotated = { ...headers, 'webhook-signature': `${other.headers(id, body)['webhook-signature']} ${headers['webhook-signature']}` };
    expect((await post(rotated)).status).toBe(200);
  });

  const claimOf = (id: string) => path.join(store, `rewards-action-${createHash('sha256').update(id).digest('hex')}.json`);
  const signed = (id: string, action: Record<string, unknown>) => {
    const body = JSON.stringify({ ...action, idempotency_key: id });
    return fetch(url, { method: 'POST', headers: { ...new StandardWebhookSigner(TEST_SECRETS.webhook).headers(id, body) }, body });
  };

  it('answers a correctly signed action missing a required field 422 naming the field, claims nothing, and acts on the fixed delivery', async () => {
    const id = `php:empty-data:${process.pid}`;
    const res = await signed(id, { type: 'client.tier', data: {} });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    // JSON alone: no PHP warning in front of it.
    expect(JSON.parse(await res.text())).toEqual({ error: 'invalid_data', field: 'data.client_id', message: expect.stringMatching(/^data\.client_id /) });
    expect(fs.existsSync(claimOf(id))).toBe(false);
    const half = await signed(id, { type: 'client.tier', data: { client_id: '11' } });
    expect([half.status, ((await half.json()) as { field: string }).field]).toEqual([422, 'data.tier']);
    // Nothing was stored for the key: a delivery with the data acts, with its own reference.
    const fixed = await signed(id, { type: 'client.tier', data: { client_id: '11', tier: 'Gold' } });
    expect(fixed.status).toBe(200);
    expect(await fixed.json()).toEqual({ reference: 'group-Gold' });
    expect(stored().filter((s) => s.data.client_id === '11')).toEqual([{ type: 'client.tier', data: { client_id: '11', tier: 'Gold' }, reference: 'group-Gold' }]);
  });

  it("checks every action's fields as the registry declares them: each required one missing, or any of the wrong type, is 422 naming it", async () => {
    let n = 0;
    for (const [type, def] of Object.entries(PANEL_ACTIONS)) {
      const data = def.toWire(def.example as never, 'example');
      const shape = (def.wire as unknown as { shape: Record<string, { safeParse: (v: unknown) => { success: boolean } }> }).shape;
      for (const field of Object.keys(shape)) {
        const required = !shape[field]?.safeParse(undefined).success;
        if (required) {
          const { [field]: _left, ...without } = data;
          const id = `php:missing:${type}:${field}:${process.pid}`;
          const res = await signed(id, { type, data: without });
          expect([type, field, res.status, ((await res.json()) as { field?: string }).field]).toEqual([type, field, 422, `data.${field}`]);
          expect(fs.existsSync(claimOf(id))).toBe(false);
        }
        const id = `php:wrong-type:${type}:${field}:${process.pid}`;
        const res = await signed(id, { type, data: { ...data, [field]: { not: 'this' } } });
        expect([type, field, res.status, ((await res.json()) as { field?: string }).field]).toEqual([type, field, 422, `data.${field}`]);
        expect(fs.existsSync(claimOf(id))).toBe(false);
      }
      // The example itself is taken.
      const ok = await signed(`php:example:${type}:${++n}:${process.pid}`, { type, data });
      expect([type, ok.status]).toEqual([type, 200]);
    }
  });

  it('refuses a promo code with both or neither of percent and amount, an amount that is not a decimal string, and an unknown action, claiming nothing', async () => {
    const base = { client_id: '12', code: 'RWD-ABC123', expires_at: null, description: '10% off' };
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['promo.create', base, 'data.percent'],
      ['promo.create', { ...base, percent: 10, amount: '5.00', currency: 'USD' }, 'data.percent'],
      ['promo.create', { ...base, amount: '5.00' }, 'data.currency'],
      ['promo.create', { ...base, percent: 0 }, 'data.percent'],
      ['client.credit', { client_id: '12', amount: '-5.00', currency: 'USD', description: 'x' }, 'data.amount'],
      ['client.credit', { client_id: '12', amount: 5, currency: 'USD', description: 'x' }, 'data.amount'],
      ['client.credit', { client_id: '12', amount: '5.00', currency: 'usd', description: 'x' }, 'data.currency'],
      ['client.rename', { client_id: '12' }, 'type'],
    ];
    for (const [i, [type, data, field]] of cases.entries()) {
      const id = `php:refused:${i}:${process.pid}`;
      const res = await signed(id, { type, data });
      expect([i, res.status, ((await res.json()) as { field?: string }).field]).toEqual([i, 422, field]);
      expect(fs.existsSync(claimOf(id))).toBe(false);
    }
    expect(stored().filter((s) => s.data.client_id === '12')).toHaveLength(0);
  });

  it('a dispatch signed with the wrong secret is refused and retried, not lost', async () => {
    const wrong = new GenericPanelApi({ url, secret: `whsec_${Buffer.from('not-the-receivers-secret-012345').toString('base64')}`, timeoutMs: 5000 });
    const other = await startTestApp({ db: app.db, realTime: true, panelApi: wrong });
    try {
      const key = `php:wrong-secret:${process.pid}`;
      await other.plugin.db.transaction(({ repos, now }) => repos.outbox.enqueue('client.tier', { clientId: '9', tier: 'Gold' }, key, now));
      expect(await other.plugin.jobs.dispatchOutbox()).toEqual({ sent: 0, retried: 1, failed: 0 });
      expect(await other.plugin.db.repos.outbox.findByKey(key)).toMatchObject({ state: 'pending', lastError: expect.stringMatching(/answered 401/) });
      expect(stored().filter((s) => s.data.client_id === '9')).toHaveLength(0);
    } finally {
      await other.stop();
    }
  });
});
