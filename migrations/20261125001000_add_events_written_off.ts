import type { Knex } from 'knex';

const TABLE = 'loyalty_events';

/**
 * Points the debt policy wrote off while an event was applied. `points` is the event's net
 * effect on the member; a redelivery answers both as the first delivery did.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'written_off')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.bigInteger('written_off').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'written_off'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn('written_off');
  });
}
