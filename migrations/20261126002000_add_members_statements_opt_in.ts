import type { Knex } from 'knex';

const TABLE = 'loyalty_members';
const COLUMN = 'statements_opt_in';

/**
 * The member's own choice about the monthly statement email: null until they make one, when
 * the program's `statements_default_opt_in` applies.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, COLUMN)) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.boolean(COLUMN).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, COLUMN))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn(COLUMN);
  });
}
