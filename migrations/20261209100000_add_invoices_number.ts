import type { Knex } from 'knex';

const TABLE = 'loyalty_invoices';
const COLUMN = 'display_number';

/**
 * The number the customer sees on the invoice (`invoice.number`), as the latest event that sent
 * one gave it: a panel often sends it only with the payment, and the refund, chargeback or
 * reversal that follows must still name the invoice as the customer knows it. Null while no
 * event sent one; the invoice's id is shown then.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, COLUMN)) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.string(COLUMN, 64).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, COLUMN))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn(COLUMN);
  });
}
