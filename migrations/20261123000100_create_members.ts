import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_members';

export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    binary(t.string('panel_client_id', 64).notNullable(), knex);
    t.string('email', 254).nullable();
    t.string('name', 190).nullable();
    t.string('locale', 35).nullable();
    t.string('currency', 3).nullable();
    t.string('birthday', 10).nullable();
    t.bigInteger('points_available').notNullable().defaultTo(0);
    t.bigInteger('points_pending').notNullable().defaultTo(0);
    t.bigInteger('points_lifetime').notNullable().defaultTo(0);
    t.string('status', 16).notNullable().defaultTo('active');
    binary(t.string('referral_code', 16).notNullable(), knex);
    t.datetime('joined_at', MS).notNullable();
    t.datetime('updated_at', MS).notNullable();
    t.unique(['panel_client_id'], { indexName: 'loyalty_members_panel_client_id_unique' });
    t.unique(['referral_code'], { indexName: 'loyalty_members_referral_code_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
