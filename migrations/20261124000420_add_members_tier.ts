import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_members';

/** The member's tier, and since when their spend has been below it (the downgrade grace clock). */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'tier_id')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.integer('tier_id').unsigned().nullable();
    t.datetime('tier_below_since', MS).nullable();
    t.index(['tier_id'], 'loyalty_members_tier_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'tier_id'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropIndex(['tier_id'], 'loyalty_members_tier_idx');
    t.dropColumn('tier_below_since');
    t.dropColumn('tier_id');
  });
}
