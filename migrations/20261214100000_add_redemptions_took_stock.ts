import type { Knex } from 'knex';
import { dropPlainColumn } from './helpers';

const TABLE = 'loyalty_redemptions';
const COLUMN = 'took_stock';

/**
 * Whether the redemption took a unit of its reward's stock (set in its own insert, and again
 * when a retry takes one): a failure or cancellation gives a unit back only if one was taken,
 * so a redemption made while the reward was unlimited can't add stock the owner capped later.
 * Rows from before this column read false: which of them took a unit is not known, and giving
 * back a unit that was never taken would sell past a cap, while keeping one only leaves the
 * owner a unit short to add back (and only for redemptions still pending now).
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, COLUMN)) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.boolean(COLUMN).notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await dropPlainColumn(knex, TABLE, COLUMN);
}
