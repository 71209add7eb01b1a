import type { Knex } from 'knex';
import { binary } from './helpers';

const TABLE = 'loyalty_ledger';
const COLUMN = 'unique_key';

/** Never set (see 20261125000100_drop_ledger_unique_key_index); its index is gone already. */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE)) || !(await knex.schema.hasColumn(TABLE, COLUMN))) return;
  if (knex.client.config.client === 'mysql2') {
    await knex.schema.alterTable(TABLE, (t) => {
      t.dropColumn(COLUMN);
    });
    return;
  }
  // SQLite (3.35+) drops an unindexed column in place; knex's dropColumn would rebuild the
  // whole table by copying it, an append-only table that may hold millions of rows.
  await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [TABLE, COLUMN]);
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE)) || (await knex.schema.hasColumn(TABLE, COLUMN))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    binary(t.string(COLUMN, 190).nullable(), knex);
  });
}
