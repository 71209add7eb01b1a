import type { Knex } from 'knex';
import { dropPlainColumn } from './helpers';

const TABLE = 'loyalty_admin_credentials';
const COLUMN = 'failed_sign_ins';

/**
 * The owner password's lockout count, on the account's own row: a sign-in takes its place in
 * the count (locking the row) before the slow bcrypt check, so parallel guesses can't all be
 * checked against a count none of them has raised yet. A success sets it back to 0.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, COLUMN)) return;
  await knex.schema.alterTable(TABLE, (t) => t.integer(COLUMN).notNullable().defaultTo(0));
}

export async function down(knex: Knex): Promise<void> {
  await dropPlainColumn(knex, TABLE, COLUMN);
}
