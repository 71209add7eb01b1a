import type { Knex } from 'knex';
import { dropPlainColumn, MS } from './helpers';

const TABLE = 'loyalty_services';
const COLUMN = 'amount_at';

/**
 * The instant of the event that set a service's recurring price (`amount_minor`, `currency`): as
 * with `state_at`, an older event delivered late doesn't overwrite a newer price, and an upgrade
 * without `previous_amount` compares with the price only when it was set no later than the
 * upgrade. Null on rows priced before this column: their price is taken as it stands, as before.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, COLUMN)) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.datetime(COLUMN, MS).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await dropPlainColumn(knex, TABLE, COLUMN);
}
