import type { Knex } from 'knex';
import { dropPlainColumn } from './helpers';

const TABLE = 'loyalty_invoices';
const COLUMN = 'reversed_through_ledger_id';

/**
 * The last ledger entry of the invoice's payments that `invoice.reversed` undid: its earn and
 * bonus entries up to this id no longer stand, so caps count them as given back, while a
 * re-payment's entries (later ids) stand. Null while no payment of it was reversed; rows reversed
 * before this column count every entry as standing (caps then count too much, never too little).
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, COLUMN)) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.bigInteger(COLUMN).unsigned().nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await dropPlainColumn(knex, TABLE, COLUMN);
}
