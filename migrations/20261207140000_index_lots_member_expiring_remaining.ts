import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_lots';
const INDEX = 'loyalty_lots_member_expiring_remaining_idx';

/**
 * The Rewards tab's expiry figures (points expiring within the window, the next expiry days and
 * their points) summed from the index alone: `remaining` beside (member_id, expiring_at), so a
 * view reads the index entries of the lots it counts and never their rows. `expiring_at` is
 * NULL on spent lots, so a member's spent history is not in the range either. It also serves
 * what (member_id, expiring_at) served, which the next migration drops.
 */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['member_id', 'expiring_at', 'remaining'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['member_id', 'expiring_at', 'remaining'], INDEX));
}
