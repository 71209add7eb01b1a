import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_admin_revoked_sessions';

/**
 * Admin sessions signed out before their expiry. A session is a signed token that would
 * otherwise open the admin area until it expires; each admin request looks its id (`jti`) up
 * here by primary key. A row is needed only until the token expires (`expires_at`), and is
 * pruned after: the table holds at most an hour of sign-outs, so it has no other index.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.string('session_id', 36).primary();
    t.string('admin_id', 64).notNullable();
    t.datetime('expires_at', MS).notNullable();
    t.datetime('revoked_at', MS).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
