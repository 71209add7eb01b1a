import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_rules';
const INDEX = 'loyalty_rules_form_key_unique';

/** One rule per form key (rules without one, null, don't collide on either engine). */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.unique(['form_key'], { indexName: INDEX }));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropUnique(['form_key'], INDEX));
}
