import type { Knex } from 'knex';
import { createKnex } from '../../plugin/db/connection';
import { insertRows, insertRowsReturningIds, takesReturning, updateById } from '../../plugin/repositories/bulk';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

/**
 * Bulk writes put their values into the statement on MySQL (no placeholder pass over tens of
 * thousands of values): whatever a value holds, it must come back as it went in, and never end
 * its literal early.
 */
describe('bulk inserts and updates keep every value as it was', () => {
  let db: TestDatabase;
  let knex: Knex;
  const hostile = ["it's", 'back\\slash', "\\'; DROP TABLE hr_bulk; --", 'nul\u0000byte', 'ctrl-z\u001a', '"double"', 'emoji 🎁 и 中文', '', '?', '??', ':name'];
  const when = new Date('2026-03-04T05:06:07.089Z');

  beforeAll(async () => {
    db = await createTestDatabase();
    knex = createKnex(db.url);
    await knex.schema.createTable('hr_bulk', (t) => {
      t.increments('id');
      t.text('s');
      t.bigInteger('n');
      t.boolean('b');
      t.datetime('at', { precision: 3 });
    });
    await knex.schema.createTable('hr_bulk_owned', (t) => {
      t.increments('id');
      t.integer('member_id');
      t.text('s');
    });
  });
  afterAll(async () => {
    await knex.destroy();
    await db.drop();
  });

  const read = async () =>
    (await knex('hr_bulk').orderBy('id').select('id', 's', 'n', 'b', 'at')).map((r: Record<string, unknown>) => ({
      s: r.s,
      n: r.n === null ? null : Number(r.n),
      b: r.b === null ? null : Boolean(Number(r.b)),
      at: r.at === null ? null : new Date(typeof r.at === 'number' ? r.at : (r.at as Date)).getTime(),
    }));

  it('inserts strings with quotes, backslashes, NUL, Ctrl-Z and placeholders, numbers, booleans, dates and NULL', async () => {
    const rows = hostile.map((s, i) => ({ s, n: i === 0 ? -9_007_199_254_740_991 : i * 1000, b: i % 2 === 0, at: i === 1 ? null : when }));
    await insertRows(knex, 'hr_bulk', [...rows, { s: null, n: null, b: null, at: null }]);
    expect(await read()).toEqual([
      ...rows.map((r) => ({ s: r.s, n: r.n, b: r.b, at: r.at === null ? null : when.getTime() })),
      { s: null, n: null, b: null, at: null },
    ]);
  });

  it('updates by id with the same values swapped round, touching only those rows', async () => {
    const ids = (await knex('hr_bulk').orderBy('id').select('id')).map((r: { id: unknown }) => Number(r.id));
    const reversed = [...hostile].reverse();
    await updateById(knex, 'hr_bulk', ids.slice(0, hostile.length).map((id, i) => ({ id, s: reversed[i] })));
    expect((await read()).map((r) => r.s)).toEqual([...reversed, null]);
  });

  // SQLite's bulk writes bind their values (better-sqlite3 has no placeholder cost to avoid).
  (process.env.TEST_DATABASE_URL ? it : it.skip)('on MySQL refuses values that have no literal rather than writing something else', async () => {
    const before = (await read()).length;
    await expect(insertRows(knex, 'hr_bulk', [{ s: { toString: () => 'x' } }])).rejects.toThrow(/no MySQL literal for a \[object Object\]/);
    await expect(insertRows(knex, 'hr_bulk', [{ s: ['a', 'b'] }])).rejects.toThrow(/no MySQL literal for a \[object Array\]/);
    await expect(insertRows(knex, 'hr_bulk', [{ n: Number.NaN }])).rejects.toThrow(/not a finite number/);
    expect(await read()).toHaveLength(before);
  });

  it('hands back the ids of a multi-row insert in the order of its rows, across the statements a long one is split into', async () => {
    // 2 KB a row: the 300 rows go in several statements on MySQL.
    const rows = Array.from({ length: 300 }, (_, i) => ({ member_id: 1 + (i % 3), s: `${i}:${'x'.repeat(2000)}` }));
    const sent: string[] = [];
    const onQuery = (q: { sql: string }) => void sent.push(q.sql);
    knex.on('query', onQuery);
    const ids = await knex.transaction((trx) => insertRowsReturningIds(trx, 'hr_bulk_owned', rows)).finally(() => knex.off('query', onQuery));
    const stored = new Map(((await knex('hr_bulk_owned').select('id', 's')) as Array<{ id: unknown; s: string }>).map((r) => [Number(r.id), r.s]));
    expect(ids.map((id) => stored.get(id))).toEqual(rows.map((r) => r.s));
    const inserts = sent.filter((q) => /^insert into/i.test(q));
    if (db.url.startsWith('sqlite')) return;
    expect(inserts.length).toBeGreaterThan(1);
    // MariaDB hands the ids back with the inserts (RETURNING); MySQL has them read back once.
    const [[{ v }]] = (await knex.raw('select version() as v')) as [[{ v: string }]];
    const readBack = sent.filter((q) => /^select .* from [`"]?hr_bulk_owned/i.test(q));
    expect(readBack).toHaveLength(takesReturning(v) ? 0 : 1);
  });
});

describe('takesReturning', () => {
  it('knows MariaDB 10.5 and later from their VERSION(), and nothing else', () => {
    for (const v of ['10.5.0-MariaDB', '10.11.19-MariaDB-0+deb12u1', '10.6.12-MariaDB-1:10.6.12+maria~ubu2004', '11.4.2-MariaDB-log']) expect(takesReturning(v)).toBe(true);
    for (const v of ['10.4.32-MariaDB', '10.3.39-MariaDB-0+deb10u1', '8.0.36', '8.4.0-commercial', '5.7.44-log', '']) expect(takesReturning(v)).toBe(false);
  });
});
