import type { Knex } from 'knex';
import { binary } from './helpers';

const TABLE = 'loyalty_rewards';

/**
 * The one-time key of the admin form that created a reward: a second post of the same form
 * (a double click, a reload) finds the reward the first made instead of adding another.
 * Null for seeded rewards and those made before the admin area could create them.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'form_key')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    binary(t.string('form_key', 64).nullable(), knex);
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'form_key'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn('form_key');
  });
}
