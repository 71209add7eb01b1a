import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_members';

/**
 * When a member's rolling spend may next drop below their tier: the instant the oldest month
 * with spend in their window leaves it. The tier review reads the members due by this (and
 * those whose grace has ended by `tier_below_since`), not every tiered member every day.
 * Members holding a tier now are due at once, so the first review sets their real date.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'tier_recheck_at')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.datetime('tier_recheck_at', MS).nullable();
  });
  await knex(TABLE).whereNotNull('tier_id').whereNull('tier_below_since').update({ tier_recheck_at: new Date(Date.UTC(2000, 0, 1)) });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'tier_recheck_at'))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropColumn('tier_recheck_at'));
}
