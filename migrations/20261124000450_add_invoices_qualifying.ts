import type { Knex } from 'knex';

const TABLE = 'loyalty_invoices';

/** What an invoice added to qualifying spend, and how much of that refunds have taken back. */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'qualifying_minor')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.bigInteger('qualifying_minor').notNullable().defaultTo(0);
    t.bigInteger('qualifying_removed_minor').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'qualifying_minor'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn('qualifying_removed_minor');
    t.dropColumn('qualifying_minor');
  });
}
