import { Database } from '../../plugin/db/database';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

/** Several instances starting at once on one empty database (README: running more than one instance). */
describe('migrations from instances started together', () => {
  let db: TestDatabase;
  const pools: Database[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
    await db.drop();
  });

  it('one instance migrates, the others wait for it and find nothing left to do', async () => {
    for (let i = 0; i < 3; i++) pools.push(Database.connect(db.url, { poolMax: 2 }));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const applied = await Promise.all(pools.map((p) => p.migrateLatest()));
      const counts = applied.map((a) => a.length).sort((x, y) => y - x);
      expect(counts[0]).toBeGreaterThan(50);
      expect(counts.slice(1)).toEqual([0, 0]);
    } finally {
      warn.mockRestore();
    }
    for (const p of pools) expect(await p.pendingMigrations()).toEqual([]);
    // One lock row: two would make knex's lock update match both and refuse everyone for ever.
    expect(await pools[0]?.knex('loyalty_migrations_lock').select('index', 'is_locked')).toEqual([{ index: 1, is_locked: 0 }]);
  });

  it('instances meeting an empty lock table (one made it, none filled it yet) agree on one lock row', async () => {
    const other = await createTestDatabase();
    const racers = [0, 1, 2].map(() => Database.connect(other.url, { poolMax: 2 }));
    try {
      const [first] = racers as [Database];
      await first.knex.schema.createTable('loyalty_migrations_lock', (t) => {
        t.increments('index').primary();
        t.integer('is_locked');
      });
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        const applied = await Promise.all(racers.map((p) => p.migrateLatest()));
        expect(applied.map((a) => a.length).sort((x, y) => y - x).slice(1)).toEqual([0, 0]);
      } finally {
        warn.mockRestore();
      }
      expect(Number((await first.knex('loyalty_migrations_lock').count({ n: '*' }).first())?.n)).toBe(1);
    } finally {
      await Promise.all(racers.map((p) => p.close()));
      await other.drop();
    }
  });

  it('gives up with knex’s lock error when the lock stays taken (a crashed migration), after the wait it was given', async () => {
    const [first] = pools as [Database];
    await first.knex('loyalty_migrations_lock').update({ is_locked: 1 });
    try {
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      // Nothing is pending, so knex doesn't take the lock: make one pending by forgetting the last.
      const last = await first.knex('loyalty_migrations').orderBy('id', 'desc').first();
      await first.knex('loyalty_migrations').where({ id: last.id }).delete();
      try {
        await expect(first.migrateLatest({ lockWaitMs: 600 })).rejects.toMatchObject({ name: 'MigrationLocked' });
      } finally {
        warn.mockRestore();
        await first.knex('loyalty_migrations').insert(last);
      }
    } finally {
      await first.knex('loyalty_migrations_lock').update({ is_locked: 0 });
    }
  });
});
