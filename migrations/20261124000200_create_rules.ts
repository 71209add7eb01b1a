import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_rules';

/**
 * Earning rules: a type, its params as JSON text (validated per type when read, so a bad row
 * is reported rather than guessed at), an on/off flag, an active window [starts_at, ends_at)
 * and an optional cap per member per UTC calendar period.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.string('type', 32).notNullable();
    t.text('params').notNullable();
    t.boolean('active').notNullable().defaultTo(false);
    t.datetime('starts_at', MS).nullable();
    t.datetime('ends_at', MS).nullable();
    t.bigInteger('cap_points').nullable();
    t.string('cap_period', 8).nullable();
    t.datetime('created_at', MS).notNullable();
    t.datetime('updated_at', MS).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
