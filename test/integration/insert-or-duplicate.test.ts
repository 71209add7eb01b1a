import type { Knex } from 'knex';
import { createKnex } from '../../plugin/db/connection';
import { insertOrDuplicate } from '../../plugin/repositories/insert-or-duplicate';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

/** The one way repositories insert where a unique key may already hold the row (DESIGN §10). */
describe('insertOrDuplicate', () => {
  let db: TestDatabase;
  let knex: Knex;

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = createKnex(db.url);
    await knex.schema.createTable('hr_dup', (t) => {
      t.increments('id');
      t.string('k', 8).notNullable().unique();
      t.integer('v').notNullable();
    });
  });

  afterAll(async () => {
    await knex.destroy();
    await db.drop();
  });

  const rows = async () => (await knex('hr_dup').orderBy('id').select('k', 'v')).map((r: { k: string; v: unknown }) => [r.k, Number(r.v)]);

  it('returns the new id, then null for the same key, leaving the first row as it was', async () => {
    const id = await insertOrDuplicate(knex('hr_dup').insert({ k: 'a', v: 1 }));
    expect(id).toEqual(expect.any(Number));
    expect(await insertOrDuplicate(knex('hr_dup').insert({ k: 'a', v: 2 }))).toBeNull();
    const [row] = await knex('hr_dup').where({ k: 'a' });
    expect(Number(row.id)).toBe(id);
    expect(Number(row.v)).toBe(1);
  });

  it('fails only the statement: the transaction goes on and commits its other writes', async () => {
    await knex.transaction(async (trx) => {
      expect(await insertOrDuplicate(trx('hr_dup').insert({ k: 'b', v: 1 }))).not.toBeNull();
      expect(await insertOrDuplicate(trx('hr_dup').insert({ k: 'b', v: 2 }))).toBeNull();
      expect(await insertOrDuplicate(trx('hr_dup').insert({ k: 'c', v: 3 }))).not.toBeNull();
    });
    expect(await rows()).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 3],
    ]);
  });

  it('throws every other error rather than swallowing it (unlike INSERT IGNORE)', async () => {
    // The driver's own error, whatever its class: SQLITE_CONSTRAINT_NOTNULL, ER_BAD_NULL_ERROR.
    await expect(insertOrDuplicate(knex('hr_dup').insert({ k: 'd', v: null }))).rejects.toHaveProperty('code', expect.stringMatching(/NULL/));
    if (db.dialect === 'mysql') {
      // INSERT IGNORE would store both truncated to 'toolong1', as one key.
      await expect(insertOrDuplicate(knex('hr_dup').insert({ k: 'toolong1-x', v: 1 }))).rejects.toHaveProperty('code', 'ER_DATA_TOO_LONG');
    }
    expect(await rows()).toHaveLength(3);
  });
});
