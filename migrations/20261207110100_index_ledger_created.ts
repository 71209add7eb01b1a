import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_ledger';
const INDEX = 'loyalty_ledger_created_idx';

/**
 * The admin dashboard sums a month of the ledger and the CSV export walks a date range of it
 * in (created_at, id) order: both read by this index instead of scanning all history.
 */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['created_at'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['created_at'], INDEX));
}
