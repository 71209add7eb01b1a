import type { Knex } from 'knex';

const TABLE = 'loyalty_lots';

/**
 * `expiring_at`: the lot's `expires_at` while it has points left, NULL once it is empty. A
 * generated column, so no writer can let it drift from `remaining`; indexed by the
 * next migration, it lets the expiry job read the open lots due without walking spent and
 * expired history (what a partial index would do, which MySQL lacks). Inserts never name it.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'expiring_at')) return;
  const expression = 'CASE WHEN remaining > 0 THEN expires_at ELSE NULL END';
  if (knex.client.config.client === 'mysql2') {
    // STORED: the value lives in the row like any column, so its index is maintained like any
    // other; MariaDB's indexes on VIRTUAL columns have had wrong-result bugs. (A one-off
    // table rebuild when migrating.)
    await knex.raw(`ALTER TABLE ${TABLE} ADD COLUMN expiring_at DATETIME(3) AS (${expression}) STORED`);
  } else {
    // SQLite can add only VIRTUAL generated columns to a table; it indexes them reliably.
    await knex.raw(`ALTER TABLE ${TABLE} ADD COLUMN expiring_at DATETIME GENERATED ALWAYS AS (${expression}) VIRTUAL`);
  }
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'expiring_at'))) return;
  await knex.raw(`ALTER TABLE ${TABLE} DROP COLUMN expiring_at`);
}
