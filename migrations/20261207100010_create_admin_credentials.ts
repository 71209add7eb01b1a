import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_admin_credentials';

/**
 * The standalone owner sign-in: a bcrypt hash of the password (from ADMIN_PASSWORD or set
 * through the one-time setup link), or, until one is set, the SHA-256 of that link's token.
 * One row per account; today only `owner`.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.string('account', 32).primary();
    t.string('password_hash', 100).nullable();
    t.string('setup_token_hash', 64).nullable();
    t.datetime('setup_expires_at', MS).nullable();
    t.datetime('updated_at', MS).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
