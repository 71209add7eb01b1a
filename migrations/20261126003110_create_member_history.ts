import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_member_history';

/**
 * Append-only record of what happened to a member besides points: services created,
 * cancelled, suspended and unsuspended, upgrades and downgrades, client status changes. The
 * churn job reads its signals here; details are JSON text.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.bigInteger('member_id').unsigned().notNullable().references('id').inTable('loyalty_members');
    t.string('kind', 32).notNullable();
    t.string('service_id', 64).nullable();
    t.text('details').notNullable();
    t.bigInteger('event_id').unsigned().nullable();
    t.datetime('occurred_at', MS).notNullable();
    t.datetime('created_at', MS).notNullable();
    t.index(['member_id', 'id'], 'loyalty_member_history_member_idx');
    t.index(['kind', 'occurred_at'], 'loyalty_member_history_kind_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
