import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_churn_flags';

/** Members the churn-risk job flags, one row each with its reasons (JSON); deleted when the signals go. */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigInteger('member_id').unsigned().notNullable().primary().references('id').inTable('loyalty_members');
    t.text('reasons').notNullable();
    t.datetime('flagged_at', MS).notNullable();
    t.datetime('updated_at', MS).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
