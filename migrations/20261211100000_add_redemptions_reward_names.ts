import type { Knex } from 'knex';
import { dropPlainColumn } from './helpers';

const TABLE = 'loyalty_redemptions';
const COLUMN = 'reward_names';

/**
 * The reward's names (a JSON object by language, as `loyalty_rewards.names`) when the redemption
 * was made: a reward renamed later must not rename what members already redeemed. Null for
 * redemptions made before this column; they show the reward's current names.
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
