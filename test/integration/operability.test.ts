import { Writable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { createLogger } from '../../plugin/logger';
import { invoicePaid, StandardWebhookSigner, startTestApp, tableCounts, TEST_SECRETS, type TestApp } from '../support/harness';

/** Captures what the plugin logs, as text. */
function logSink(): { logger: ReturnType<typeof createLogger>; text: () => string; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger('debug', stream);
  const text = () => chunks.join('');
  return { logger, text, lines: () => text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('rate limits (defect 6), shared by instances on one database', () => {
  let a: TestApp;
  let b: TestApp;
  const config = { rateLimits: { signInPerIp: 5, signInPerMember: 3, badWebhooksPerIp: 4, redeemPerMember: 0, redeemPerIp: 0 } };
  beforeAll(async () => {
    a = await startTestApp({ config });
    b = await startTestApp({ db: a.db, config });
  });
  afterAll(async () => {
    await b.stop();
    await a.close();
  });

  it('answers 429 with Retry-After once an address used its sign-in attempts, counting both instances', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await (i % 2 ? b : a).http.get('/sso').query({ token: `bad-${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const res = await a.http.get('/sso').query({ token: 'bad' });
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    const json = await a.http.get('/sso').query({ token: 'bad' }).set('Accept', 'application/json');
    expect(json.status).toBe(429);
  });

  it('limits sign-ins per member only after the token is verified, so forged tokens lock nobody out', async () => {
    await a.plugin.db.knex('loyalty_rate_limits').delete();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const token = await a.plugin.services.auth.mintSsoToken('c-limited');
      statuses.push((await (i % 2 ? b : a).http.get('/sso').query({ token })).status);
    }
    expect(statuses).toEqual([303, 303, 303, 429]);
    await a.plugin.db.knex('loyalty_rate_limits').where('key', 'like', 'sign-in-ip%').delete();
    const other = await a.plugin.services.auth.mintSsoToken('c-other');
    await a.http.get('/sso').query({ token: other }).expect(303);
  });

  it('limits badly signed webhooks per address; correctly signed ones are never counted', async () => {
    const event = invoicePaid({ client: { id: 'c-rl' } });
    const body = JSON.stringify(event);
    const bad = (app: TestApp) => app.http.post('/hooks/events').set({ ...app.sign(event.id, body), 'webhook-signature': 'v1,AAAA' }).send(body);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await bad(a)).status);
    // Any number of good deliveries in between count nothing.
    for (let i = 0; i < 20; i++) statuses.push((await (i % 2 ? b : a).send(invoicePaid({ client: { id: 'c-rl' } }))).status);
    statuses.push((await a.http.post('/hooks/events').send(body)).status); // missing headers: bad, refused before the body
    statuses.push((await bad(b)).status); // the other instance sees the shared count
    expect(statuses).toEqual([401, 401, 401, ...Array(20).fill(200), 401, 429]);
    const limited = await bad(b);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.body.error).toBe('rate_limited');
  });
});

describe('an address over its limit of badly signed webhooks', () => {
  let a: TestApp;
  let b: TestApp;
  const config = { rateLimits: { signInPerIp: 0, signInPerMember: 0, badWebhooksPerIp: 3, redeemPerMember: 0, redeemPerIp: 0 } };
  beforeAll(async () => {
    a = await startTestApp({ config });
    b = await startTestApp({ db: a.db, config });
  });
  afterAll(async () => {
    await b.stop();
    await a.close();
  });

  const event = invoicePaid({ client: { id: 'c-blocked' } });
  const body = JSON.stringify(event);
  /** Signed with another secret: the headers look right, so only the body's HMAC can tell. */
  const forged = new StandardWebhookSigner(`whsec_${Buffer.from('not-the-panel-secret-0123456789abcd').toString('base64')}`);
  const badAfterBody = (app: TestApp) => app.http.post('/hooks/events').set({ ...forged.headers(event.id, body) }).send(body);
  const badBeforeBody = (app: TestApp) => app.http.post('/hooks/events').set({ ...app.sign(event.id, body), 'webhook-signature': 'v1,AAAA' }).send(body);
  const unsigned = (app: TestApp) => app.http.post('/hooks/events').set('content-type', 'application/json').send(body);
  const counted = async () => Number((await a.plugin.db.knex('loyalty_rate_limits').where('key', 'like', 'bad-webhook-ip:%').first())?.points ?? 0);

  it("still lets the address's correctly signed deliveries through, on every instance, while its bad ones get 429 with Retry-After", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await badAfterBody(a)).status);
    statuses.push((await badAfterBody(a)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);

    // The panel behind the same address: every correctly signed delivery is applied.
    for (let i = 0; i < 5; i++) await (i % 2 ? b : a).send(invoicePaid({ client: { id: 'c-blocked' } })).expect(200);

    const points = await counted();
    for (const app of [a, b]) {
      for (const bad of [badAfterBody, badBeforeBody, unsigned]) {
        const res = await bad(app);
        expect(res.status).toBe(429);
        expect(res.body.error).toBe('rate_limited');
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
        expect(res.headers.connection).toBe('close');
      }
      await app.send(invoicePaid({ client: { id: 'c-blocked' } })).expect(200);
    }
    // `b` learnt of the block from the shared count (one write); `a` counted nothing more.
    expect(await counted()).toBe(points + 1);
  });

  it('refuses a signature header with no v1 signature of the right shape before reading the body', async () => {
    const other = await startTestApp({ db: a.db, config: { rateLimits: { ...config.rateLimits, badWebhooksPerIp: 0 } } });
    try {
      const verify = jest.spyOn(Webhook.prototype, 'verify');
      for (const signature of ['v1,AAAA', 'v1a,' + 'A'.repeat(43) + '=', `v2,${'A'.repeat(43)}=`, `v1,${'A'.repeat(44)}`]) {
        const res = await other.http.post('/hooks/events').set({ ...other.sign(event.id, body), 'webhook-signature': signature }).send(body);
        expect(res.status).toBe(401);
        expect(res.headers.connection).toBe('close');
      }
      expect(verify).not.toHaveBeenCalled();
      // One well-formed entry among others is enough, as for the verifier.
      const good = invoicePaid({ client: { id: 'c-blocked' } });
      const goodBody = JSON.stringify(good);
      const headers = other.sign(good.id, goodBody);
      await other.http.post('/hooks/events').set({ ...headers, 'webhook-signature': `v1,AAAA v1a,xyz ${headers['webhook-signature']}` }).send(goodBody).expect(200);
      verify.mockRestore();
    } finally {
      await other.stop();
    }
  });
});

describe('database unavailable (defect 8)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it.each([
    ['a lost connection', Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true })],
    ['a lock wait timeout after every retry', Object.assign(new Error('Lock wait timeout exceeded'), { errno: 1205, code: 'ER_LOCK_WAIT_TIMEOUT' })],
    ['a killed connection', Object.assign(new Error('Connection was killed'), { errno: 1927, code: 'ER_CONNECTION_KILLED' })],
    ['a pool timeout', Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' })],
  ])('answers 503 with Retry-After on %s, and writes nothing', async (_what, error) => {
    const before = await tableCounts(app.plugin);
    const spy = jest.spyOn(app.plugin.db, 'transaction').mockRejectedValueOnce(error);
    try {
      const res = await app.send(invoicePaid({ client: { id: 'c-503' } }));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toMatchObject({ error: 'database_unavailable', request_id: expect.any(String) });
    } finally {
      spy.mockRestore();
    }
    expect(await tableCounts(app.plugin)).toEqual(before);
  });

  it('answers 503 when the pool is gone (a real closed pool, as during shutdown)', async () => {
    const other = await startTestApp();
    try {
      await other.plugin.db.knex.destroy();
      const res = await other.send(invoicePaid({ client: { id: 'c-gone' } }));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      const page = await other.http.get('/client/rewards').set('Cookie', 'x=y');
      expect(page.status).not.toBe(500);
    } finally {
      other.server.closeAllConnections();
      other.server.close();
      await other.db.drop();
    }
  });
});

describe('request ids and logs', () => {
  let app: TestApp;
  let sink: ReturnType<typeof logSink>;
  beforeAll(async () => {
    sink = logSink();
    app = await startTestApp({ logger: sink.logger, config: { metricsToken: 'metrics-token-0123456789' } });
  });
  afterAll(() => app.close());

  it('keeps a safe X-Request-Id, returns it, logs one line with status, duration, event and outcome, and stores it on the inbox row', async () => {
    const event = invoicePaid({ client: { id: 'c-rid' } });
    const res = await app.send(event, { headers: { 'X-Request-Id': 'panel-req:42' } }).expect(200);
    expect(res.headers['x-request-id']).toBe('panel-req:42');
    const row = await app.plugin.db.knex('loyalty_events').where({ external_id: event.id }).first();
    expect(row.request_id).toBe('panel-req:42');
    const lines = sink.lines().filter((l) => l.req_id === 'panel-req:42');
    const request = lines.filter((l) => l.msg === 'request');
    expect(request).toEqual([expect.objectContaining({ method: 'POST', path: '/hooks/events', status: 200, event: event.id, outcome: 'applied', ms: expect.any(Number) })]);
    // Lines written by services while serving the request carry the id too.
    expect(lines.some((l) => l.msg === 'billing event processed')).toBe(true);
  });

  it('replaces an unsafe or overlong id with its own, and puts it on error bodies and pages', async () => {
    const bad = await app.http.post('/hooks/events').set('X-Request-Id', 'x'.repeat(129)).send('{}').expect(401);
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(bad.body.request_id).toBe(bad.headers['x-request-id']);
    const evil = await app.http.get('/sso').set('X-Request-Id', 'a b<script>').query({ token: 'nope' }).expect(401);
    expect(evil.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(evil.text).toContain(evil.headers['x-request-id']);
  });

  it('never logs an SSO token, a session cookie or the webhook secret', async () => {
    const token = await app.plugin.services.auth.mintSsoToken('c-secret');
    const signIn = await app.http.get('/sso').query({ token }).expect(303);
    const cookie = String(signIn.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    await app.http.get('/client/rewards').set('Cookie', cookie).expect(200);
    await app.http.get('/sso').query({ token }).expect(401); // replayed: logged as a refusal
    const event = invoicePaid({ client: { id: 'c-secret' } });
    await app.send(event).expect(200);
    await app.send(event, { headers: { 'webhook-signature': 'v1,bm9wZQ==' } }).expect(401);
    const text = sink.text();
    expect(text).toContain('c-secret'); // the lines are there …
    expect(text).not.toContain(token); // … without the token,
    expect(text).not.toContain(token.split('.')[2]);
    expect(text).not.toContain(cookie.split('=')[1]);
    expect(text).not.toContain(TEST_SECRETS.webhook); // the secret,
    expect(text).not.toContain(TEST_SECRETS.webhook.slice('whsec_'.length));
    expect(text).not.toContain(TEST_SECRETS.sso);
    expect(text).not.toContain('"total":"120.00"'); // or a body.
  });

  it('serves /metrics in Prometheus format only with the token', async () => {
    await app.http.get('/metrics').expect(401);
    await app.http.get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789').expect(401);
    await app.plugin.jobs.run('dispatch-outbox');
    const res = await app.http.get('/metrics').set('Authorization', 'Bearer metrics-token-0123456789').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/hosting_rewards_events_total\{type="invoice.paid",outcome="applied"\} \d+/);
    expect(res.text).toMatch(/hosting_rewards_events_total\{type="unknown",outcome="invalid_signature"\} \d+/);
    expect(res.text).toMatch(/hosting_rewards_webhook_duration_seconds_bucket\{le="0.05",status="200"\} \d+/);
    expect(res.text).toMatch(/hosting_rewards_job_runs_total\{job="dispatch-outbox",status="(done|skipped)"\} 1/);
    expect(res.text).toMatch(/hosting_rewards_db_pool_connections\{state="max"\} \d+/);
    expect(res.text).toMatch(/hosting_rewards_ledger_points\{kind="earn"\} [1-9]\d*/);
    expect(res.text).toContain('hosting_rewards_outbox_actions');
  });

  it('has no /metrics without a token configured', async () => {
    const other = await startTestApp({ db: app.db });
    try {
      await other.http.get('/metrics').set('Accept', 'application/json').expect(404);
    } finally {
      await other.stop();
    }
  });
});
