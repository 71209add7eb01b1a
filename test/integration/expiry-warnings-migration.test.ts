import { migrations } from '../../migrations';
import { primaryKeyOf } from '../../migrations/helpers';
import { Database } from '../../plugin/db/database';
import { MIGRATIONS_TABLE, PluginMigrationSource } from '../../plugin/db/migration-source';
import { insertOldMember } from '../support/old-schema';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

const DAY = 86_400_000;
const NOW = new Date('2026-12-09T12:00:00Z');
const FIRST = '20261209110000_add_expiry_warnings_expires_at';
const KEYED = '20261209110020_key_expiry_warnings_by_deadline';

/**
 * Warnings become once per lot, threshold and deadline (issue 8): the rows written before the
 * deadline was recorded get one, on SQLite and MariaDB alike, so a lot moved on after its
 * warning is warned again before its new deadline and the others are not warned twice.
 */
describe('expiry warnings keyed by deadline: the migrations', () => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = Database.connect(testDb.url, { clock: () => NOW });
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const at = (days: number) => new Date(NOW.getTime() + days * DAY);
  const rows = async () =>
    (await db.knex('loyalty_expiry_warnings').orderBy(['lot_id', 'threshold_days', 'expires_at'])).map((r: Record<string, unknown>) => ({
      lot: Number(r.lot_id),
      threshold: Number(r.threshold_days),
      expiresAt: r.expires_at === null ? null : new Date(r.expires_at as string | number).toISOString(),
    }));

  it('fills the deadline of earlier warnings from their lot, or marks it unknown where the lot has moved on since', async () => {
    const before = migrations.findIndex((m) => m.name === FIRST);
    await db.knex.migrate.latest({ migrationSource: new PluginMigrationSource(migrations.slice(0, before)), tableName: MIGRATIONS_TABLE });

    // Lot `kept` expires in 20 days and was warned at 30 today: the warning is about that deadline.
    // Lot `moved` was warned at 30 sixty days ago, so about a deadline then within 30 days; it
    // expires in 20 days now, so an earning moved it on since (the inactivity policy).
    // Rows as the schema of then holds them, written directly: today's repositories write columns
    // later migrations add.
    const member = await insertOldMember(db.knex, 'migrated', { email: 'm@example.com', pointsAvailable: 120, at: at(-70) });
    const ids: number[] = [];
    let balance = 0;
    for (const points of [50, 70]) {
      balance += points;
      const [ledger] = await db.knex('loyalty_ledger').insert({ member_id: member, delta: points, kind: 'earn', reason_code: 'test', actor: 'system', balance_after: balance, created_at: at(-70) }, ['id']);
      const ledgerId = Number(typeof ledger === 'object' ? (ledger as { id: unknown }).id : ledger);
      const [lot] = await db.knex('loyalty_lots').insert({ member_id: member, ledger_id: ledgerId, points, remaining: points, earned_at: at(-70), available_at: at(-70), expires_at: at(20) }, ['id']);
      ids.push(Number(typeof lot === 'object' ? (lot as { id: unknown }).id : lot));
    }
    const [kept, moved] = ids as [number, number];
    await db.knex('loyalty_expiry_warnings').insert([
      { lot_id: kept, threshold_days: 30, member_id: member, warned_at: NOW },
      { lot_id: moved, threshold_days: 30, member_id: member, warned_at: at(-60) },
      // A lot that is gone: nothing to read its deadline from.
      { lot_id: 987_654, threshold_days: 7, member_id: member, warned_at: at(-5) },
    ]);

    expect(await db.migrateLatest()).toEqual(migrations.slice(before).map((m) => m.name));
    expect(await primaryKeyOf(db.knex, 'loyalty_expiry_warnings')).toEqual(['lot_id', 'expires_at', 'threshold_days']);
    expect(await rows()).toEqual([
      { lot: kept, threshold: 30, expiresAt: at(20).toISOString() },
      { lot: moved, threshold: 30, expiresAt: at(-60).toISOString() },
      { lot: 987_654, threshold: 7, expiresAt: at(-5).toISOString() },
    ]);
    // The moved lot is due a warning for its deadline now; the other is not warned twice.
    expect((await db.repos.expiryWarnings.due(NOW, [7, 30], null, 10)).map((l) => l.id)).toEqual([moved]);
  });

  it('rolled back, the key is (lot, threshold) again with each lot’s latest deadline; migrated again, as before', async () => {
    const [lot] = (await db.knex('loyalty_lots').orderBy('id').select('id', 'member_id')) as Array<{ id: unknown; member_id: unknown }>;
    await db.knex('loyalty_expiry_warnings').insert({ lot_id: Number(lot?.id), threshold_days: 30, member_id: Number(lot?.member_id), warned_at: NOW, expires_at: at(120) });
    // Back to before the key change: it and the migrations after it, one at a time.
    const fromKeyed = migrations.slice(migrations.findIndex((m) => m.name === KEYED)).map((m) => m.name);
    for (const _ of fromKeyed) await db.knex.migrate.down({ migrationSource: new PluginMigrationSource(), tableName: MIGRATIONS_TABLE });
    expect((await db.knex(MIGRATIONS_TABLE).max({ name: 'name' }).first())?.name).not.toBe(KEYED);
    expect(await primaryKeyOf(db.knex, 'loyalty_expiry_warnings')).toEqual(['lot_id', 'threshold_days']);
    expect((await rows()).filter((r) => r.lot === Number(lot?.id))).toEqual([{ lot: Number(lot?.id), threshold: 30, expiresAt: at(120).toISOString() }]);
    expect(await db.migrateLatest()).toEqual(fromKeyed);
    expect(await primaryKeyOf(db.knex, 'loyalty_expiry_warnings')).toEqual(['lot_id', 'expires_at', 'threshold_days']);
    expect(await db.migrateLatest()).toEqual([]);
  });
});
