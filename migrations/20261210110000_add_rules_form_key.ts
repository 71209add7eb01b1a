import type { Knex } from 'knex';
import { binary } from './helpers';

const TABLE = 'loyalty_rules';
const COLUMN = 'form_key';

/**
 * The one-time key of the admin form that created the rule (null for rules made otherwise): the
 * same form posted twice finds the rule the first post made instead of making a second one.
 * Compared as written on MySQL/MariaDB, as the keys are case-sensitive base64url.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, COLUMN)) return;
  await knex.schema.alterTable(TABLE, (t) => {
    binary(t.string(COLUMN, 64).nullable(), knex);
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, COLUMN))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn(COLUMN);
  });
}
