import type { Knex } from 'knex';

const TABLE = 'loyalty_outbox';

/**
 * The panel client an action is for (its payload's `clientId`), so a member's page in the
 * admin area lists their panel actions with their state. Rows written before it get it from
 * their payload here.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'client_id')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.string('client_id', 64).nullable();
  });
  const extract = knex.client.config.client === 'mysql2' ? "JSON_UNQUOTE(JSON_EXTRACT(payload, '$.clientId'))" : "json_extract(payload, '$.clientId')";
  await knex.raw(`UPDATE ?? SET client_id = ${extract} WHERE client_id IS NULL`, [TABLE]);
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'client_id'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn('client_id');
  });
}
