import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_invoices';
const INDEX = 'loyalty_invoices_member_paid_idx';

/**
 * The Rewards tab reads a member's invoices paid this year ("you saved X"). Without this index
 * MariaDB walks the whole primary key for it, so every view cost more as the table grew.
 */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['member_id', 'paid_at'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['member_id', 'paid_at'], INDEX));
}
