import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { migrations } from '../../migrations';
import { collationOf, varcharLengthOf } from '../../migrations/helpers';
import { expectBalancesConsistent, invoicePaid, memberOf, startTestApp, type TestApp } from '../support/harness';

/**
 * The longest ids the validators let in (64 characters, for a client's `sub` and an admin's
 * `admin` claim) reach every column they are written to, prefixed or not: the SSO token's
 * subject (`admin:<id>`) and the ledger's actor (`client:<id>`, `admin:<id>`). MariaDB refuses
 * a value longer than its column, so there a column too narrow was a 500.
 */
describe('the longest ids the validators allow', () => {
  let app: TestApp;
  const longest = (c: string) => c.repeat(64);
  const key = () => randomBytes(12).toString('base64url');

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('an admin id of 64 characters signs in by SSO (303), and its adjustment is the ledger actor', async () => {
    const id = longest('a');
    const token = await app.plugin.services.auth.mintAdminSsoToken({ id, role: 'owner' });
    const res = await request(app.baseUrl).get(`/admin/sso?token=${token}`);
    expect(res.status).toBe(303);
    expect(await app.plugin.db.knex('loyalty_sso_tokens').where({ subject: `admin:${id}` }).first()).toBeDefined();

    await app.send(invoicePaid({ client: { id: 'long-admin-target' } })).expect(200);
    const m = await memberOf(app.plugin, 'long-admin-target');
    const ctx = { admin: { id, name: id, role: 'owner' as const }, origin: { ip: null, requestId: null } };
    await app.plugin.services.adminMembers.adjust(ctx, m.id, { key: key(), direction: 'add', points: '5', reason: 'longest admin id', allowDebt: false });
    const entry = await app.plugin.db.knex('loyalty_ledger').where({ member_id: m.id, kind: 'adjust' }).first();
    expect(entry?.actor).toBe(`admin:${id}`);
  });

  it('a client id of 64 characters signs in by SSO (303), and its redemption is the ledger actor', async () => {
    const id = longest('c');
    await app.send(invoicePaid({ client: { id }, invoice: { id: 'long-client-1', total: '1200.00', items: [{ type: 'renewal', amount: '1200.00' }] } })).expect(200);
    const token = await app.plugin.services.auth.mintSsoToken(id);
    expect((await request(app.baseUrl).get(`/sso?token=${token}`)).status).toBe(303);

    const reward = (await app.plugin.db.repos.rewards.list()).find((r) => r.costPoints === 500);
    const result = await app.plugin.services.redemptions.redeem(id, { rewardId: reward?.id ?? 0, idempotencyKey: key() });
    expect(result).toMatchObject({ ok: true });
    const m = await memberOf(app.plugin, id);
    const entry = await app.plugin.db.knex('loyalty_ledger').where({ member_id: m.id, kind: 'redeem' }).first();
    expect(entry?.actor).toBe(`client:${id}`);
  });

  it('the longest request id a caller may send reaches the audit row whole', async () => {
    await app.send(invoicePaid({ client: { id: 'long-request-target' } })).expect(200);
    const m = await memberOf(app.plugin, 'long-request-target');
    const requestId = 'r'.repeat(128);
    const ctx = { admin: { id: 'owner', name: 'Owner', role: 'owner' as const }, origin: { ip: null, requestId } };
    await app.plugin.services.adminMembers.adjust(ctx, m.id, { key: key(), direction: 'add', points: '5', reason: 'longest request id', allowDebt: false });
    expect(await app.plugin.db.knex('loyalty_audit').where({ action: 'member.adjust', target: `member:${m.id}` }).first()).toMatchObject({ request_id: requestId });
  });

  it('the widening migrations keep each column its length, NULL or NOT NULL and collation, and do nothing when run again', async () => {
    const { knex, dialect } = app.plugin.db;
    const columns = [
      ['20261210120000_widen_sso_tokens_subject', 'loyalty_sso_tokens', 'subject', 80, 'NO'],
      ['20261210120010_widen_ledger_actor', 'loyalty_ledger', 'actor', 80, 'NO'],
      ['20261211110000_widen_audit_request_id', 'loyalty_audit', 'request_id', 128, 'YES'],
    ] as const;
    for (const [name, table, column, length, nullable] of columns) {
      const migration = migrations.find((m) => m.name === name);
      if (!migration) throw new Error(`no migration ${name}`);
      const before = await collationOf(knex, table, column);
      await migration.up(knex);
      expect(await varcharLengthOf(knex, table, column)).toBe(dialect === 'mysql' ? length : null);
      expect(await collationOf(knex, table, column)).toBe(before);
      if (dialect === 'mysql') {
        const [rows] = await knex.raw('SELECT IS_NULLABLE AS n FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?', [table, column]);
        expect(rows).toEqual([{ n: nullable }]);
      }
    }
  });
});
