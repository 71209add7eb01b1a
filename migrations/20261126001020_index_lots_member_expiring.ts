import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_lots';
const INDEX = 'loyalty_lots_member_expiring_idx';

/**
 * One member's open lots due (MemberAccount.expire): by (member_id, expiring_at), a member's
 * years of spent lots are never read again; (member_id, expires_at) would read them all.
 */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['member_id', 'expiring_at'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['member_id', 'expiring_at'], INDEX));
}
