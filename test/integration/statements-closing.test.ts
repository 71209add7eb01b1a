import { migrations } from '../../migrations';
import { Database } from '../../plugin/db/database';
import { MIGRATIONS_TABLE, PluginMigrationSource } from '../../plugin/db/migration-source';
import { statementsJob } from '../../plugin/jobs/statements';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, invoicePaid, invoiceRefunded, memberOf, startTestApp, type TestApp } from '../support/harness';
import { QUIET_JOB_CONTEXT, testJobDeps } from '../support/jobs';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

const MIGRATION = '20261212100000_add_ledger_pending_after';

/**
 * A statement of a month shows the balance and tier progress the month closed with, beside the
 * month's earned and spent, however late it is made; a month not over shows them as of now.
 */
describe('a statement made after its month', () => {
  let app: TestApp;
  beforeAll(async () => {
    // A 14-day refund window, so points earned late in a month are still pending at its end.
    app = await startTestApp({ program: { refund_window_days: 14 } });
    await app.plugin.services.program.update({ email_channel: 'panel' });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const pay = async (client: string, invoice: string, total: string, at: string) => {
    app.clock.current = new Date(at);
    await app.send(invoicePaid({ client: { id: client, email: `${client}@example.com`, locale: 'en' }, occurred_at: at, invoice: { id: invoice, total, items: [] } })).expect(200);
  };
  const statementOf = async (memberId: number, period: string): Promise<string> => {
    const row = await app.plugin.db.knex('loyalty_outbox').where({ action: 'client.email', idempotency_key: `email:statement:${memberId}:${period}` }).first();
    return row ? String((JSON.parse(String(row.payload)) as { text: string }).text) : '';
  };
  const runDirectly = (period: string, timeZone = 'UTC') =>
    statementsJob().run({ ...QUIET_JOB_CONTEXT, deps: testJobDeps(app.plugin), now: app.clock.now(), period, timeZone, dryRun: false, resume: { marker: null, counts: {} }, checkpoint: async () => {} });

  it("shows October's closing balance, pending points and tier progress when made in November; November's as of now", async () => {
    // October: Silver by 600.00 (600 points, released by the next payment), then 100.00 on the
    // 25th (110 points with Silver's multiplier, pending until 8 November).
    await pay('close-1', 'CL1-a', '600.00', '2026-10-05T10:00:00Z');
    await pay('close-1', 'CL1-b', '100.00', '2026-10-25T10:00:00Z');
    // November: Gold by 1500.00 (1650 points, pending until 24 November), and 200 points redeemed.
    await pay('close-1', 'CL1-c', '1500.00', '2026-11-10T10:00:00Z');
    const { id } = await memberOf(app.plugin, 'close-1');
    app.clock.current = new Date('2026-11-15T10:00:00Z');
    await app.plugin.db.transaction(async (tx) => (await MemberAccount.lock(tx, { id }))?.spend({ points: 200, reasonCode: 'redeemed', reference: 'redemption:close-1' }));
    expect(await memberOf(app.plugin, 'close-1')).toMatchObject({ pointsAvailable: 510, pointsPending: 1650 });
    await app.plugin.services.members.setStatementsOptIn('close-1', true);

    // October's statement, made late (after downtime) on 23 November.
    app.clock.current = new Date('2026-11-23T12:00:00Z');
    expect(await app.plugin.jobs.run('statements')).toMatchObject({ period: '2026-10', status: 'done' });
    const october = await statementOf(id, '2026-10');
    expect(october).toContain('Available points: 600\n');
    expect(october).toContain('Pending: 110\n');
    expect(october).toContain('Earned this period: 710\n');
    expect(october).toContain('Redeemed this period: 0\n');
    expect(october).toContain('Your tier: Silver\n');
    expect(october).toContain('Spend $1,300.00 more to reach Gold.');

    // November, not over: as of now, as before.
    await runDirectly('2026-11');
    const november = await statementOf(id, '2026-11');
    expect(november).toContain('Available points: 510\n');
    expect(november).toContain('Pending: 1,650\n');
    expect(november).toContain('Earned this period: 1,650\n');
    expect(november).toContain('Redeemed this period: 200\n');
    expect(november).toContain('Your tier: Gold\n');
    expect(november).toContain('Spend $7,800.00 more to reach Platinum.');
  });

  it('a month with nothing in it shows the balance it closed with; one before the member joined shows none', async () => {
    await pay('close-2', 'CL2-a', '300.00', '2026-09-10T10:00:00Z');
    app.clock.current = new Date('2026-09-25T00:00:00Z');
    await app.plugin.jobs.releasePending();
    await pay('close-2', 'CL2-b', '1000.00', '2026-11-05T10:00:00Z');
    const { id } = await memberOf(app.plugin, 'close-2');
    await app.plugin.services.members.setStatementsOptIn('close-2', true);
    app.clock.current = new Date('2026-11-23T12:00:00Z');
    await runDirectly('2026-10');
    const october = await statementOf(id, '2026-10');
    expect(october).toContain('Earned this period: 0\n');
    expect(october).toContain('Available points: 300\n');
    expect(october).not.toContain('Pending');
    expect(october).toContain('Your tier: Bronze\n');
    expect(october).toContain('Spend $200.00 more to reach Silver.');
    await runDirectly('2026-08');
    const august = await statementOf(id, '2026-08');
    expect(august).toContain('Available points: 0\n');
    expect(august).not.toContain('Pending');
    expect(august).toContain('Your tier: Bronze\n');
    expect(august).toContain('Spend $500.00 more to reach Silver.');
  });

  it('points taken back while pending are not pending at the month’s end', async () => {
    // 100 points pending until 8 November, 40 of them taken back by a refund on the 28th.
    await pay('close-3', 'CL3-a', '100.00', '2026-10-25T10:00:00Z');
    app.clock.current = new Date('2026-10-28T10:00:00Z');
    await app.send(invoiceRefunded('CL3-a', '40.00', { client: { id: 'close-3' }, occurred_at: '2026-10-28T10:00:00Z', invoice: { total: '100.00' } })).expect(200);
    await pay('close-3', 'CL3-b', '100.00', '2026-11-10T10:00:00Z');
    const { id } = await memberOf(app.plugin, 'close-3');
    await app.plugin.services.members.setStatementsOptIn('close-3', true);
    app.clock.current = new Date('2026-11-23T12:00:00Z');
    await runDirectly('2026-10');
    const october = await statementOf(id, '2026-10');
    expect(october).toContain('Available points: 0\n');
    expect(october).toContain('Pending: 60\n');
  });

  it('in a time zone behind UTC, the next UTC month’s spend is not counted towards the month’s tier progress', async () => {
    // 1 November 01:00 UTC is still 31 October in New York: its spend is kept in November's
    // UTC bucket with the rest of November's.
    await pay('close-ny', 'NY-a', '600.00', '2026-10-05T10:00:00Z');
    await pay('close-ny', 'NY-b', '1500.00', '2026-11-10T10:00:00Z');
    const { id } = await memberOf(app.plugin, 'close-ny');
    await app.plugin.services.members.setStatementsOptIn('close-ny', true);
    app.clock.current = new Date('2026-11-23T12:00:00Z');
    await runDirectly('2026-10', 'America/New_York');
    const october = await statementOf(id, '2026-10');
    expect(october).toContain('Your tier: Silver\n');
    expect(october).toContain('Spend $1,400.00 more to reach Gold.');
  });
});

/**
 * Ledger rows from before `pending_after` carry no pending part: a month closed on one is read
 * from the member row when nothing changed since, else estimated from the lots.
 */
describe('closing balances over ledger rows from before pending_after', () => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = Database.connect(testDb.url, { clock: () => new Date('2026-11-23T12:00:00Z') });
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const config = (list = migrations) => ({ migrationSource: new PluginMigrationSource(list), tableName: MIGRATIONS_TABLE });

  it('reads the member row or the lots; the migration checks before it acts and goes down and up again', async () => {
    const at = migrations.findIndex((m) => m.name === MIGRATION);
    expect(at).toBeGreaterThan(0);
    await db.knex.migrate.latest(config(migrations.slice(0, at)));
    const enrol = (id: string) => db.transaction(async (tx) => (await MemberAccount.enrol(tx, { id, email: `${id}@example.com` })).member.id);
    const entry = (memberId: number, delta: number, kind: string, balanceAfter: number, createdAt: string) =>
      db.knex('loyalty_ledger').insert({ member_id: memberId, delta, kind, reason_code: 'test', actor: 'system', balance_after: balanceAfter, created_at: new Date(createdAt) });
    const lot = (memberId: number, ledgerId: number, points: number, remaining: number, pending: boolean, earnedAt: string, availableAt: string) =>
      db.knex('loyalty_lots').insert({ member_id: memberId, ledger_id: ledgerId, points, remaining, pending, earned_at: new Date(earnedAt), available_at: new Date(availableAt), expires_at: null });
    const idOf = async (memberId: number) => Number((await db.knex('loyalty_ledger').where({ member_id: memberId }).max({ id: 'id' }).first())?.id);

    // 600 earned on 5 October and released on the 19th; 110 earned on the 25th, pending until 8 November.
    const early = await enrol('before-pending-1');
    await entry(early, 600, 'earn', 600, '2026-10-05T10:00:00Z');
    await lot(early, await idOf(early), 600, 600, false, '2026-10-05T10:00:00Z', '2026-10-19T10:00:00Z');
    await entry(early, 0, 'release', 600, '2026-10-19T10:00:00Z');
    await entry(early, 110, 'earn', 710, '2026-10-25T10:00:00Z');
    await lot(early, await idOf(early), 110, 110, true, '2026-10-25T10:00:00Z', '2026-11-08T10:00:00Z');
    await db.knex('loyalty_members').where({ id: early }).update({ points_available: 600, points_pending: 110, points_lifetime: 710 });
    // 100 pending until 1 December, 30 of them taken back since: the lot's 100 no longer tells.
    const drawn = await enrol('before-pending-2');
    await entry(drawn, 100, 'earn', 100, '2026-11-17T10:00:00Z');
    await lot(drawn, await idOf(drawn), 100, 70, true, '2026-11-17T10:00:00Z', '2026-12-01T10:00:00Z');
    await entry(drawn, -30, 'adjust', 70, '2026-11-18T10:00:00Z');
    await db.knex('loyalty_members').where({ id: drawn }).update({ points_pending: 70, points_lifetime: 100 });

    await db.knex.migrate.latest(config());
    const fresh = await enrol('after-pending');
    // A November payment, written with its pending part.
    await db.transaction(async (tx) => {
      const account = await MemberAccount.lock(tx, { id: early });
      await account?.credit({ kind: 'earn', points: 1500, reasonCode: 'test', earnedAt: tx.now, availableAt: new Date('2026-12-07T12:00:00Z'), expiresAt: null });
    });

    const closing = (ids: number[], before: string) => db.repos.statements.closingBalances(ids, new Date(before));
    // October closed on an old row with later ones after it: the lots still in their window then.
    expect((await closing([early], '2026-11-01T00:00:00Z')).get(early)).toEqual({ pointsAvailable: 600, pointsPending: 110 });
    expect((await closing([early], '2026-10-20T00:00:00Z')).get(early)).toEqual({ pointsAvailable: 600, pointsPending: 0 });
    // Now: the new row's own pending part.
    expect((await closing([early], '2026-11-24T00:00:00Z')).get(early)).toEqual({ pointsAvailable: 600, pointsPending: 1610 });
    // An old row still the newest: the member row.
    expect((await closing([drawn], '2026-11-24T00:00:00Z')).get(drawn)).toEqual({ pointsAvailable: 0, pointsPending: 70 });
    // Nothing before: nothing; no such member: left out.
    expect(await closing([fresh, early, 999_999], '2026-10-01T00:00:00Z')).toEqual(
      new Map([
        [fresh, { pointsAvailable: 0, pointsPending: 0 }],
        [early, { pointsAvailable: 0, pointsPending: 0 }],
      ]),
    );

    const migration = migrations[at];
    if (!migration) throw new Error(`no ${MIGRATION}`);
    await migration.up(db.knex);
    await migration.down?.(db.knex);
    await migration.down?.(db.knex);
    expect(await db.knex.schema.hasColumn('loyalty_ledger', 'pending_after')).toBe(false);
    await migration.up(db.knex);
    expect(await db.knex.schema.hasColumn('loyalty_ledger', 'pending_after')).toBe(true);
  });
});
