import type { Knex } from 'knex';

const TABLE = 'loyalty_events';

/** The id of the request that delivered an event (`X-Request-Id`), to find its log lines. */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'request_id')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.string('request_id', 128).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'request_id'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn('request_id');
  });
}
