import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_invoices';

/**
 * `invoice.reversed` (paid, then marked unpaid or cancelled): how many times the invoice's
 * payment was reversed, and a reversal that arrived before the payment it reverses (its
 * instant), which that payment then absorbs.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'reversals')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.integer('reversals').notNullable().defaultTo(0);
    t.datetime('reversal_pending_at', MS).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'reversals'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn('reversal_pending_at');
    t.dropColumn('reversals');
  });
}
