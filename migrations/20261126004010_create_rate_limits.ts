import type { Knex } from 'knex';
import { binary } from './helpers';

const TABLE = 'loyalty_rate_limits';

/**
 * Counters of rate-limiter-flexible's MySQL and SQLite stores (db/rate-limits.ts), shared by
 * every instance on the database: `key` is `<limit>:<ip or member>`, `points` what was used
 * in the window, `expire` when the window ends (epoch ms). The column names and order are the
 * library's: its MySQL store inserts `VALUES (key, points, expire)`.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    binary(t.string('key', 255).notNullable(), knex);
    t.integer('points').notNullable().defaultTo(0);
    t.bigInteger('expire').unsigned().nullable();
    t.primary(['key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
