import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_spend_months';
const INDEX = 'loyalty_spend_months_month_idx';

/**
 * The tier review finds members whose rolling spend may have dropped below their tier: those
 * with spend in a month that has just left the window. The primary key leads with the member.
 */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['month', 'member_id'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['month', 'member_id'], INDEX));
}
