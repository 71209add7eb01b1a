import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_services';

/**
 * One row per panel service of a member: its state (active, suspended, cancelled) and the
 * instant of the event that set it (`state_at`, so an older event delivered late can't undo a
 * newer one), its recurring price, and its renewal streak (consecutive on-time renewals, the
 * months they cover, and the due date / instant of the last renewal counted).
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.bigInteger('member_id').unsigned().notNullable().references('id').inTable('loyalty_members');
    binary(t.string('service_id', 64).notNullable(), knex);
    t.string('state', 16).notNullable();
    t.datetime('state_at', MS).notNullable();
    t.string('product_id', 64).nullable();
    t.string('product_group', 64).nullable();
    t.string('billing_cycle', 16).nullable();
    t.string('currency', 3).nullable();
    t.bigInteger('amount_minor').nullable();
    t.datetime('started_at', MS).notNullable();
    t.datetime('cancelled_at', MS).nullable();
    t.datetime('suspended_since', MS).nullable();
    t.integer('streak').notNullable().defaultTo(0);
    t.integer('streak_months').notNullable().defaultTo(0);
    t.string('last_due_date', 10).nullable();
    t.datetime('last_renewed_at', MS).nullable();
    t.datetime('updated_at', MS).notNullable();
    t.unique(['member_id', 'service_id'], { indexName: 'loyalty_services_member_service_unique' });
    t.index(['state', 'state_at'], 'loyalty_services_state_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
