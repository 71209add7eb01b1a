import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_lots';
const INDEX = 'loyalty_lots_member_pending_idx';
const REPLACEMENT = 'loyalty_lots_member_pending_remaining_idx';

/** (member_id, pending, available_at) is a prefix of the index with `remaining`; keeping both only costs every lot written. */
export async function up(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX)) || !(await hasIndex(knex, TABLE, REPLACEMENT))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['member_id', 'pending', 'available_at'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['member_id', 'pending', 'available_at'], INDEX));
}
