import type { Knex } from 'knex';
import { dropPlainColumn } from './helpers';

const TABLE = 'loyalty_redemptions';
const COLUMN = 'code_terms';

/**
 * What a redemption's promo code gives and until when (JSON: the `promo.create` action's
 * `discount` and `expiresAt`), kept on the row so the member's redemption page can say it. Null
 * for redemptions that made no code; 20261211120010 fills it for codes made before it.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, COLUMN)) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.text(COLUMN).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await dropPlainColumn(knex, TABLE, COLUMN);
}
