import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_sso_tokens';

/** Used SSO token ids (jti), kept until the token would have expired anyway. */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    binary(t.string('jti', 128).notNullable(), knex).primary();
    t.string('subject', 64).notNullable();
    t.datetime('expires_at', MS).notNullable();
    t.datetime('used_at', MS).notNullable();
    t.index(['expires_at'], 'loyalty_sso_tokens_expires_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
