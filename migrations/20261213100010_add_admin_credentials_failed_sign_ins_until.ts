import type { Knex } from 'knex';
import { dropPlainColumn, MS } from './helpers';

const TABLE = 'loyalty_admin_credentials';
const COLUMN = 'failed_sign_ins_until';

/**
 * When `failed_sign_ins` is forgotten: the end of the window the first failure opened, or,
 * once the count reached ADMIN_LOCKOUT_FAILURES, the end of the lockout. Null with no count.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, COLUMN)) return;
  await knex.schema.alterTable(TABLE, (t) => t.datetime(COLUMN, MS).nullable());
}

export async function down(knex: Knex): Promise<void> {
  await dropPlainColumn(knex, TABLE, COLUMN);
}
