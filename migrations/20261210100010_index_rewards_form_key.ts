import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_rewards';
const INDEX = 'loyalty_rewards_form_key_unique';

/** One reward per creation form: the key the insert relies on to tell a repeat from a new reward. */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.unique(['form_key'], { indexName: INDEX }));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropUnique(['form_key'], INDEX));
}
