import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_members';

/**
 * Per member, kept from loyalty_services under the member's lock: active and suspended service
 * counts, tenure (since the first service) and since when a service has been suspended (the
 * tier grace clock pauses meanwhile).
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'services_active')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.integer('services_active').notNullable().defaultTo(0);
    t.integer('services_suspended').notNullable().defaultTo(0);
    t.datetime('first_service_at', MS).nullable();
    t.datetime('suspended_since', MS).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'services_active'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn('suspended_since');
    t.dropColumn('first_service_at');
    t.dropColumn('services_suspended');
    t.dropColumn('services_active');
  });
}
