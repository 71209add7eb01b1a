import type { Knex } from 'knex';

const TABLE = 'loyalty_lots';
const INDEX = 'loyalty_lots_expires_idx';

/**
 * The expiry job walks lots due in (expires_at, id) order. The existing (member_id, expires_at)
 * index can't answer "due now, anyone's" without reading every member's lots.
 */
export async function up(knex: Knex): Promise<void> {
  const exists =
    knex.client.config.client === 'mysql2'
      ? (await knex.raw(`SHOW INDEX FROM ${TABLE} WHERE Key_name = ?`, [INDEX]))[0].length > 0
      : (await knex.raw(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`, [INDEX])).length > 0;
  if (exists) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['expires_at'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['expires_at'], INDEX));
}
