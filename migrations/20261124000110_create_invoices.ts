import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_invoices';

/**
 * What each invoice earned and how much of it was refunded and reversed, so a refund is
 * bounded by its own invoice and a refund that arrives before its payment waits here.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.bigInteger('member_id').unsigned().notNullable().references('id').inTable('loyalty_members');
    binary(t.string('invoice_id', 64).notNullable(), knex);
    t.string('currency', 3).notNullable();
    t.bigInteger('total_minor').notNullable();
    t.bigInteger('earned_points').notNullable().defaultTo(0);
    t.bigInteger('reversed_points').notNullable().defaultTo(0);
    t.bigInteger('refunded_minor').notNullable().defaultTo(0);
    t.boolean('charged_back').notNullable().defaultTo(false);
    t.datetime('paid_at', MS).nullable();
    t.datetime('updated_at', MS).notNullable();
    t.unique(['member_id', 'invoice_id'], { indexName: 'loyalty_invoices_member_invoice_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
