import type { Knex } from 'knex';

const TABLE = 'loyalty_tiers';

/**
 * A tier's name per language (JSON `{ "ru": "Золотой", … }`), shown to members; `name` stays
 * the tier's key, which promos (`tiers`) and the panel's client groups refer to.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE)) || (await knex.schema.hasColumn(TABLE, 'names'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.text('names').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE)) || !(await knex.schema.hasColumn(TABLE, 'names'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn('names');
  });
}
