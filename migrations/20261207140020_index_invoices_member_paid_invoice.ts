import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_invoices';
const INDEX = 'loyalty_invoices_member_paid_invoice_idx';

/**
 * The Rewards tab's "saved this year" joins a member's invoices paid this year to their tier
 * discounts in the outbox by invoice id: with `invoice_id` in the index, the join reads index
 * entries only, not the invoices' rows. It also serves what (member_id, paid_at) served, which
 * the next migration drops.
 */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['member_id', 'paid_at', 'invoice_id'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['member_id', 'paid_at', 'invoice_id'], INDEX));
}
