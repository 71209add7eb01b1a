import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_invoices';
const INDEX = 'loyalty_invoices_member_paid_idx';
const REPLACEMENT = 'loyalty_invoices_member_paid_invoice_idx';

/** (member_id, paid_at) is a prefix of (member_id, paid_at, invoice_id); keeping both only costs every invoice written. */
export async function up(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX)) || !(await hasIndex(knex, TABLE, REPLACEMENT))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['member_id', 'paid_at'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['member_id', 'paid_at'], INDEX));
}
