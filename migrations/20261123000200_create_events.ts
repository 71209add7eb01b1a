import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_events';

/** The inbox: every billing event enters once per (source, external_id). */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.string('source', 32).notNullable();
    binary(t.string('external_id', 128).notNullable(), knex);
    t.string('type', 40).notNullable();
    t.datetime('occurred_at', MS).notNullable();
    t.string('body_hash', 64).notNullable();
    t.text('payload', 'longtext').notNullable();
    t.bigInteger('member_id').unsigned().nullable().references('id').inTable('loyalty_members');
    t.string('outcome', 16).notNullable();
    t.bigInteger('points').notNullable().defaultTo(0);
    t.string('detail', 64).nullable();
    t.datetime('received_at', MS).notNullable();
    t.unique(['source', 'external_id'], { indexName: 'loyalty_events_source_external_id_unique' });
    t.index(['member_id', 'id'], 'loyalty_events_member_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
