import type { Knex } from 'knex';

const TABLE = 'loyalty_ledger';
const INDEX = 'loyalty_ledger_member_reference_idx';

/** A refund finds what its invoice earned by reference, without reading the member's history. */
export async function up(knex: Knex): Promise<void> {
  const exists =
    knex.client.config.client === 'mysql2'
      ? (await knex.raw(`SHOW INDEX FROM ${TABLE} WHERE Key_name = ?`, [INDEX]))[0].length > 0
      : (await knex.raw(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`, [INDEX])).length > 0;
  if (exists) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['member_id', 'reference'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['member_id', 'reference'], INDEX));
}
