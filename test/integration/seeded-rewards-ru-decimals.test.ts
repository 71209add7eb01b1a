import { migrations } from '../../migrations';
import { Database } from '../../plugin/db/database';
import { MIGRATIONS_TABLE, PluginMigrationSource } from '../../plugin/db/migration-source';
import { clientSession } from '../support/client';
import { invoicePaid, startTestApp } from '../support/harness';
import { readable } from '../support/english';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

const FIX = '20261219100010_fix_seeded_rewards_ru_decimals';
const NAME = { seeded: '5.00 на баланс', fixed: '5,00 на баланс' };
const DESCRIPTION = { seeded: 'Каждые 100 баллов — 1.00 на баланс.', fixed: 'Каждые 100 баллов — 1,00 на баланс.' };

/**
 * The seeded rewards' Russian texts write amounts as Russian does, "5,00", on an install made
 * before the fix and on a fresh one; a text the provider rewrote, and every other language, is
 * left as it is; the fix rolls back to the seeded texts only where they are still its own.
 */
describe('seeded rewards: Russian decimals, the migration', () => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = Database.connect(testDb.url, { clock: () => new Date('2026-12-18T10:00:00Z') });
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const source = (upTo: number) => ({ migrationSource: new PluginMigrationSource(migrations.slice(0, upTo)), tableName: MIGRATIONS_TABLE });
  const texts = async () =>
    (await db.knex('loyalty_rewards').where({ kind: 'credit' }).orderBy('id').select('id', 'names', 'descriptions')).map((r: Record<string, unknown>) => ({
      id: Number(r.id),
      names: JSON.parse(String(r.names)) as Record<string, string>,
      descriptions: JSON.parse(String(r.descriptions)) as Record<string, string>,
    }));

  it('fixes the seeded texts that are still seeded, keeps what the provider wrote, and rolls back only its own', async () => {
    const at = migrations.findIndex((m) => m.name === FIX);
    expect(at).toBeGreaterThan(0);
    await db.knex.migrate.latest(source(at));
    const [fixed, any] = await texts();
    expect(fixed?.names.ru).toBe(NAME.seeded);
    expect(any?.descriptions.ru).toBe(DESCRIPTION.seeded);
    // A provider's copy of the fixed reward, renamed in Russian, and the seeded "any amount" reward
    // with its English rewritten: their own Russian words stay; the seeded Russian is fixed.
    const [copy] = (await db.knex('loyalty_rewards').insert({ kind: 'credit', active: true, cost_points: 700, names: JSON.stringify({ en: '7.00 credit', ru: '7.00 на баланс (акция)' }), descriptions: JSON.stringify({ ru: DESCRIPTION.seeded.replace('100', '200') }), values: JSON.stringify({ USD: 700 }), created_at: new Date(), updated_at: new Date() })).map(Number);
    await db.knex('loyalty_rewards').where({ id: any?.id }).update({ descriptions: JSON.stringify({ ...any?.descriptions, en: 'Our own words.' }) });

    await db.knex.migrate.latest(source(at + 1));
    const after = await texts();
    expect(after[0]?.names).toEqual({ ...fixed?.names, ru: NAME.fixed });
    expect(after[0]?.descriptions).toEqual(fixed?.descriptions);
    expect(after[1]?.names).toEqual(any?.names);
    expect(after[1]?.descriptions).toEqual({ ...any?.descriptions, en: 'Our own words.', ru: DESCRIPTION.fixed });
    expect(after.find((r) => r.id === copy)).toMatchObject({ names: { en: '7.00 credit', ru: '7.00 на баланс (акция)' }, descriptions: { ru: DESCRIPTION.seeded.replace('100', '200') } });
    // Every other language as seeded: zh writes a point, as Chinese does.
    expect(after[0]?.names.zh).toBe('5.00 账户余额');

    // Run again (a second instance): nothing more changes.
    await db.knex.migrate.latest(source(at + 1));
    expect(await texts()).toEqual(after);

    // Rolled back: the seeded texts again, but a Russian name rewritten since the fix is the provider's.
    await db.knex('loyalty_rewards').where({ id: after[1]?.id }).update({ names: JSON.stringify({ ...after[1]?.names, ru: 'Любая сумма' }) });
    await db.knex.migrate.down(source(at + 1));
    const back = await texts();
    expect(back[0]?.names.ru).toBe(NAME.seeded);
    expect(back[1]?.descriptions.ru).toBe(DESCRIPTION.seeded);
    expect(back[1]?.names.ru).toBe('Любая сумма');
  });

  it('a fresh install offers the seeded rewards in Russian with a decimal comma', async () => {
    const app = await startTestApp();
    try {
      await app.send(invoicePaid({ client: { id: 'ru-fresh', locale: 'ru' }, invoice: { id: 'RU-1', total: '10.00', items: [{ type: 'new', amount: '10.00' }] } })).expect(200);
      const page = readable((await app.http.get('/client/rewards/redeem').set('Cookie', await clientSession(app, 'ru-fresh')).expect(200)).text);
      expect(page).toContain(NAME.fixed);
      expect(page).toContain(DESCRIPTION.fixed);
      expect(page).not.toMatch(/\d\.\d\d на баланс/);
    } finally {
      await app.close();
    }
  });
});
