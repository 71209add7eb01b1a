import type { Knex } from 'knex';

const TABLE = 'loyalty_spend_months';

/**
 * Qualifying spend per member per calendar month (UTC), in base-currency minor units. The
 * rolling 12-month figure is at most 12 rows through the primary key, whatever the history.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigInteger('member_id').unsigned().notNullable().references('id').inTable('loyalty_members');
    t.string('month', 7).notNullable();
    t.bigInteger('amount_minor').notNullable().defaultTo(0);
    t.primary(['member_id', 'month']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
