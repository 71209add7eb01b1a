import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_settings';

/** Program settings as JSON values; code holds the defaults, rows hold what the program changed. */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.string('key', 64).primary();
    t.text('value').notNullable();
    t.datetime('updated_at', MS).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
