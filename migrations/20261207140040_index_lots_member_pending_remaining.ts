import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_lots';
const INDEX = 'loyalty_lots_member_pending_remaining_idx';

/**
 * The Rewards tab's pending points by release date, summed from the index alone: `remaining`
 * beside (member_id, pending, available_at), so a view of a member with many pending lots reads
 * index entries, not a row per lot. It also serves what (member_id, pending, available_at)
 * served, which the next migration drops.
 */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['member_id', 'pending', 'available_at', 'remaining'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['member_id', 'pending', 'available_at', 'remaining'], INDEX));
}
