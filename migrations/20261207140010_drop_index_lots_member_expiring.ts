import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_lots';
const INDEX = 'loyalty_lots_member_expiring_idx';
const REPLACEMENT = 'loyalty_lots_member_expiring_remaining_idx';

/**
 * (member_id, expiring_at) is a prefix of (member_id, expiring_at, remaining): every read it
 * served reads the longer one, and a second index would only cost every lot written.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX)) || !(await hasIndex(knex, TABLE, REPLACEMENT))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['member_id', 'expiring_at'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['member_id', 'expiring_at'], INDEX));
}
