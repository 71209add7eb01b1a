import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_members';
const INDEX = 'loyalty_members_tier_below_idx';

/** The tier review finds members whose grace has ended by this index, not by reading every tiered member. */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['tier_below_since', 'id'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['tier_below_since', 'id'], INDEX));
}
