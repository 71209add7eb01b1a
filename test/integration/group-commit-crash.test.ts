import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Database } from '../../plugin/db/database';
import { createTestDatabase, type TestDatabase } from '../support/test-db';
import { invoicePaid, signedDelivery, StandardWebhookSigner, TEST_SECRETS } from '../support/harness';

const ROOT = path.join(__dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

type Result = { status: number; outcome?: string } | { error: string };

function post(agent: http.Agent, port: number, body: string, headers: object): Promise<Result> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/hooks/events', method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let outcome: string | undefined;
        try {
          outcome = (JSON.parse(text) as { outcome?: string }).outcome;
        } catch {
          outcome = undefined;
        }
        resolve({ status: res.statusCode ?? 0, outcome });
      });
      res.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    });
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(body);
  });
}

async function startSidecar(db: TestDatabase, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'plugin/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      PANEL: 'generic',
      WEBHOOK_SECRET: TEST_SECRETS.webhook,
      SSO_SECRET: TEST_SECRETS.sso,
      SESSION_SECRET: TEST_SECRETS.session,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d.toString()));
  child.stderr?.on('data', (d) => (output += d.toString()));
  for (let i = 0; i < 300; i++) {
    const up = await new Promise<boolean>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => resolve(res.statusCode === 200)).on('error', () => resolve(false));
    });
    if (up) return { child, output: () => output };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the sidecar did not start:\n${output}`);
}

/** Issue 14: a kill -9 while batches of payments are in flight, then the panel's redelivery. */
describe('group commit under kill -9', () => {
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await db.drop();
  });

  it('loses and doubles nothing: what was answered had committed, and redelivery applies the rest once', async () => {
    const signer = new StandardWebhookSigner(TEST_SECRETS.webhook);
    const events = Array.from({ length: 240 }, (_, i) =>
      invoicePaid({ id: `crash:${i}`, client: { id: `crash-${i % 12}` }, invoice: { id: `CR-${i}`, total: `${10 + (i % 7) * 35}.00`, items: [] } }),
    );
    const port = await freePort();
    const first = await startSidecar(db, port);
    child = first.child;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 48 });
    let answered = 0;
    const sent = events.map((e) => {
      const d = signedDelivery(signer, e);
      return post(agent, port, d.body, d.headers).then((r) => {
        if ('status' in r && ++answered === 40) first.child.kill('SIGKILL');
        return r;
      });
    });
    const before = await Promise.all(sent);
    agent.destroy();
    await new Promise((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r(null) : first.child.on('exit', r)));
    const applied = before.map((r) => 'status' in r && r.status === 200 && r.outcome === 'applied');
    expect(applied.filter(Boolean).length).toBeGreaterThanOrEqual(40);
    // The kill cut some deliveries off mid-flight, unanswered: those are the panel's to retry.
    expect(before.some((r) => 'error' in r)).toBe(true);

    const again = await startSidecar(db, port);
    child = again.child;
    const retryAgent = new http.Agent({ keepAlive: true, maxSockets: 48 });
    const after = await Promise.all(events.map((e) => signedDelivery(signer, e)).map((d) => post(retryAgent, port, d.body, d.headers)));
    retryAgent.destroy();
    expect(after.filter((r) => !('status' in r) || r.status !== 200)).toEqual([]);
    // Answered `applied` before the kill ⇒ committed: its redelivery is a duplicate.
    after.forEach((r, i) => {
      if (applied[i]) expect(r).toMatchObject({ outcome: 'duplicate' });
      else expect(['applied', 'duplicate']).toContain((r as { outcome: string }).outcome);
    });
    child.kill('SIGTERM');

    const check = Database.connect(db.url);
    try {
      const k = check.knex;
      expect(Number((await k('loyalty_events').count({ n: '*' }).first())?.n)).toBe(events.length);
      expect(Number((await k('loyalty_invoices').count({ n: '*' }).first())?.n)).toBe(events.length);
      // One base-rate award per invoice, and its awards worth what its inbox row says it earned.
      const earned = (await k('loyalty_ledger')
        .where('delta', '>', 0)
        .groupBy('reference')
        .select('reference')
        .sum({ n: k.raw("case when rule = 'base_rate' then 1 else 0 end") })
        .sum({ points: 'delta' })) as Array<{
        reference: string;
        n: number;
        points: number;
      }>;
      expect(earned).toHaveLength(events.length);
      expect(earned.filter((e) => Number(e.n) !== 1)).toEqual([]);
      const inbox = new Map(((await k('loyalty_events').select('external_id', 'points')) as Array<{ external_id: string; points: number }>).map((r) => [r.external_id, Number(r.points)]));
      for (const e of earned) expect(Number(e.points)).toBe(inbox.get(`crash:${e.reference.slice('invoice:CR-'.length)}`));
      expect(await check.repos.members.findBalanceMismatches()).toEqual([]);
    } finally {
      await check.close();
    }
  }, 90_000);
});
