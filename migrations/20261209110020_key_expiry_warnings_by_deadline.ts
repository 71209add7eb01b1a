import type { Knex } from 'knex';
import { MS, primaryKeyOf } from './helpers';

const TABLE = 'loyalty_expiry_warnings';
const BY_DEADLINE = ['lot_id', 'expires_at', 'threshold_days'];
const BY_LOT = ['lot_id', 'threshold_days'];

/**
 * The primary key becomes (lot, deadline, threshold): a lot moved to a new deadline can be
 * warned again at each threshold, still once per deadline across reruns and instances. On
 * MySQL/MariaDB in one ALTER, so the table is never left without a primary key (Galera needs
 * one on every table); on SQLite knex rebuilds the table.
 */
export async function up(knex: Knex): Promise<void> {
  if (sameKey(await primaryKeyOf(knex, TABLE), BY_DEADLINE)) return;
  if (knex.client.config.client === 'mysql2') {
    await knex.raw('ALTER TABLE ?? MODIFY ?? DATETIME(3) NOT NULL, DROP PRIMARY KEY, ADD PRIMARY KEY (??, ??, ??)', [TABLE, 'expires_at', ...BY_DEADLINE]);
    return;
  }
  await knex.schema.alterTable(TABLE, (t) => {
    t.datetime('expires_at', MS).notNullable().alter();
    t.dropPrimary();
    t.primary(BY_DEADLINE);
  });
}

/** Back to (lot, threshold): only each lot's warning for its latest deadline can stay. */
export async function down(knex: Knex): Promise<void> {
  if (sameKey(await primaryKeyOf(knex, TABLE), BY_LOT)) return;
  if (knex.client.config.client === 'mysql2') {
    // MySQL can't read the table it deletes from in a subquery: the latest deadlines are a derived table.
    await knex.raw(
      'DELETE w FROM ?? w JOIN (SELECT lot_id, threshold_days, MAX(expires_at) AS latest FROM ?? GROUP BY lot_id, threshold_days) k ON k.lot_id = w.lot_id AND k.threshold_days = w.threshold_days WHERE w.expires_at < k.latest',
      [TABLE, TABLE],
    );
    await knex.raw('ALTER TABLE ?? MODIFY ?? DATETIME(3) NULL, DROP PRIMARY KEY, ADD PRIMARY KEY (??, ??)', [TABLE, 'expires_at', ...BY_LOT]);
    return;
  }
  await knex.raw(
    'DELETE FROM ?? WHERE EXISTS (SELECT 1 FROM ?? later WHERE later.lot_id = ??.lot_id AND later.threshold_days = ??.threshold_days AND later.expires_at > ??.expires_at)',
    [TABLE, TABLE, TABLE, TABLE, TABLE],
  );
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropPrimary();
    t.primary(BY_LOT);
    t.datetime('expires_at', MS).nullable().alter();
  });
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c.toLowerCase() === b[i]);
}
