import type { Knex } from 'knex';
import { dropPlainColumn } from './helpers';

const TABLE = 'loyalty_ledger';
const COLUMN = 'pending_after';

/**
 * The pending part of `balance_after` (points still in their refund window), so a row tells the
 * member's whole standing after it: what a statement of a past month shows as of that month's
 * end. Neither the rows nor the lots can tell it afterwards (a debit draws pending lots first and
 * records only its total). Null for rows written before this column. A nullable column at the
 * end of the table is added in place on MariaDB, however long the ledger.
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
