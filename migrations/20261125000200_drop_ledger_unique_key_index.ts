import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_ledger';
const INDEX = 'loyalty_ledger_unique_key_unique';

/**
 * `unique_key` was meant for effects that must happen once, but nothing ever set it: "once" is
 * kept by the inbox key and by checks under the member's row lock. Its index goes first, so the
 * column can then be dropped (SQLite refuses to drop an indexed column).
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropUnique(['unique_key'], INDEX);
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'unique_key')) || (await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.unique(['unique_key'], { indexName: INDEX });
  });
}
