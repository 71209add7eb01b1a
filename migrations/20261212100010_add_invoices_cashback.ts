import type { Knex } from 'knex';
import { dropPlainColumn } from './helpers';

const TABLE = 'loyalty_invoices';
const COLUMN = 'cashback_minor';

/**
 * The tier cashback an invoice's payment earned before refunds (`cashback` discount method): a
 * refund after the payment scales the cashback not sent yet from it, as a refund before the
 * payment does. Null for invoices paid before this column.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, COLUMN)) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.bigInteger(COLUMN).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await dropPlainColumn(knex, TABLE, COLUMN);
}
