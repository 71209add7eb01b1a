import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_service_renewals';

/**
 * One row per renewed period of a member's service, so the renewal streak is a function of the
 * renewals received, not of their delivery order (domain/service-streak.ts). `period` is the
 * due date, or the renewal's UTC day when the panel sent none: the order renewals count in.
 * `on_time` is judged when the renewal arrives; `months` is what its billing cycle covers and
 * `currency`/`amount_minor` the price then, for the streak rules. A due date is renewed once;
 * the late-renewal index finds the ends of the run a renewal lands in without reading the rest.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.bigInteger('member_id').unsigned().notNullable().references('id').inTable('loyalty_members');
    binary(t.string('service_id', 64).notNullable(), knex);
    t.string('due_date', 10).nullable();
    t.string('period', 10).notNullable();
    t.datetime('renewed_at', MS).notNullable();
    t.boolean('on_time').notNullable();
    t.integer('months').notNullable().defaultTo(0);
    t.string('currency', 3).nullable();
    t.bigInteger('amount_minor').nullable();
    t.bigInteger('event_id').unsigned().nullable();
    t.datetime('updated_at', MS).notNullable();
    t.unique(['member_id', 'service_id', 'due_date'], { indexName: 'loyalty_service_renewals_due_unique' });
    t.index(['member_id', 'service_id', 'period', 'renewed_at'], 'loyalty_service_renewals_order_idx');
    t.index(['member_id', 'service_id', 'on_time', 'period'], 'loyalty_service_renewals_late_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
