import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_members';
const INDEX = 'loyalty_members_tier_recheck_idx';

/** The tier review's second work list: members whose spend may have dropped below their tier by now. */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['tier_recheck_at', 'id'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['tier_recheck_at', 'id'], INDEX));
}
