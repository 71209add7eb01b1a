import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_members';
const INDEX = 'loyalty_members_name_idx';

/** The admin's member search matches names by prefix. */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['name'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['name'], INDEX));
}
