import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_lots';
const INDEX = 'loyalty_lots_release_due_idx';

/**
 * The release job runs every minute and asks "pending lots due now, anyone's". The
 * (member_id, pending, available_at) index can only answer that by reading every member's
 * entries; this one reads just the lots that are due.
 */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['pending', 'available_at', 'member_id'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['pending', 'available_at', 'member_id'], INDEX));
}
