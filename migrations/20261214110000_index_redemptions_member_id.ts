import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_redemptions';
const INDEX = 'loyalty_redemptions_member_id_idx';

/**
 * A member's list of all their redemptions pages by id, newest first (`WHERE member_id = ? AND
 * id < ? ORDER BY id DESC`): with (member_id, id) each page reads its rows straight off the
 * index, however many there are. (member_id, reward_id, created_at), kept for the per-member
 * limits, can't give a member's rows in id order.
 */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['member_id', 'id'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['member_id', 'id'], INDEX));
}
