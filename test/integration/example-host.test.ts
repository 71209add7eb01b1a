import path from 'node:path';
import request from 'supertest';
import { BILLING_EVENT, startExampleHost, type ExampleHost } from '../example-host/host';
import { invoicePaid, TEST_SECRETS } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

/**
 * A Node host that knows the plugin only through manifest.json (the built entry and its
 * factory): events from its own EventEmitter become points, the Rewards tab is served under
 * its prefix, its migration step and the jobs run, and a repeated event changes nothing.
 */
describe('an in-process host loading the plugin from manifest.json', () => {
  let db: TestDatabase;
  let host: ExampleHost;
  const http = () => request(`${host.origin}${host.prefix}`);

  beforeAll(async () => {
    db = await createTestDatabase();
    host = await startExampleHost({ packageRoot: path.resolve(__dirname, '../..'), databaseUrl: db.url, prefix: '/shop/loyalty', secrets: TEST_SECRETS });
    await host.plugin.services.program.update({ refund_window_days: 0 });
  });
  afterAll(async () => {
    await host?.close();
    await db?.drop();
  });

  it('ran the plugin’s migrations in the host’s own step, into the manifest’s table', async () => {
    const applied = await host.plugin.db.knex(host.manifest.migrations.table).count({ n: '*' }).first();
    expect(Number(applied?.n)).toBe((await host.plugin.migrations.getMigrations()).length);
    expect((await http().get('/healthz').expect(200)).body.status).toBe('ok');
    // The host's own routes still answer beside the plugin's.
    expect((await request(host.origin).get('/').expect(200)).text).toBe('the host app');
  });

  it('turns events emitted on the host’s bus into points, once per event id', async () => {
    const first = invoicePaid({ id: 'shop:invoice:1:paid', client: { id: 'c-1', name: 'Hana Host' }, invoice: { id: '1', total: '120.00' } });
    const second = invoicePaid({ id: 'shop:invoice:2:paid', client: { id: 'c-1', name: 'Hana Host' }, invoice: { id: '2', total: '30.00' } });
    host.bus.emit(BILLING_EVENT, first);
    host.bus.emit(BILLING_EVENT, second);
    // The same event again, and concurrently: the inbox takes it once.
    host.bus.emit(BILLING_EVENT, first);
    host.bus.emit(BILLING_EVENT, first);
    await host.idle();
    const byId = (id: string) => host.outcomes.filter((o) => o.id === id).map((o) => o.outcome ?? o.error);
    expect(byId('shop:invoice:1:paid').sort()).toEqual(['applied', 'duplicate', 'duplicate']);
    expect(byId('shop:invoice:2:paid')).toEqual(['applied']);
    const member = await host.plugin.db.repos.members.findByPanelClientId('c-1');
    const ledger = await host.plugin.db.knex('loyalty_ledger').where({ member_id: member?.id });
    expect(ledger.filter((r: { kind: string }) => r.kind === 'earn')).toHaveLength(2);
    expect(member?.pointsAvailable).toBeGreaterThan(0);
    expect(member?.pointsAvailable).toBe(ledger.reduce((s: number, r: { delta: number | string }) => s + Number(r.delta), 0));
  });

  it('refuses a bad event with the field named, writing nothing', async () => {
    const before = await host.plugin.db.knex('loyalty_events').count({ n: '*' }).first();
    host.bus.emit(BILLING_EVENT, { ...invoicePaid({ id: 'shop:bad:1' }), occurred_at: 'yesterday' });
    await host.idle();
    expect(host.outcomes.at(-1)).toEqual({ id: 'shop:bad:1', error: 'validation_failed' });
    await expect(host.plugin.ingest({ ...invoicePaid({ id: 'shop:bad:2' }), occurred_at: 'yesterday' })).rejects.toMatchObject({
      status: 422,
      fields: [expect.objectContaining({ path: 'occurred_at' })],
    });
    // The webhook's size limit holds in-process too: the inbox would keep all of it.
    await expect(host.plugin.ingest({ ...invoicePaid({ id: 'shop:big:1' }), padding: 'x'.repeat(256 * 1024) })).rejects.toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
    expect(await host.plugin.db.knex('loyalty_events').count({ n: '*' }).first()).toEqual(before);
  });

  it('serves the Rewards tab under the host’s prefix', async () => {
    const token = await host.plugin.services.auth.mintSsoToken('c-1');
    const sso = await http().get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
    expect(sso.headers.location).toBe(`${host.prefix}${host.manifest.clientArea.path}`);
    const cookie = ((sso.headers['set-cookie'] as unknown as string[]) ?? []).map((c) => c.split(';')[0]).join('; ');
    const tab = await http().get(host.manifest.clientArea.path).set('Cookie', cookie).expect(200);
    expect(tab.text).toContain('Hana Host');
    expect(tab.text).toContain(`${host.prefix}/assets/rewards.css`);
  });

  it('runs the jobs the manifest lists', async () => {
    const names = host.manifest.jobs.map((j) => j.name);
    expect(host.plugin.jobs.definitions.map((j) => j.name)).toEqual(names);
    const outcome = await host.plugin.jobs.run('release-pending');
    expect(outcome).toMatchObject({ job: 'release-pending', status: 'done' });
    const tiers = await host.plugin.jobs.run('review-tiers');
    expect(tiers.job).toBe('review-tiers');
    expect(['done', 'skipped']).toContain(tiers.status);
  });
});
