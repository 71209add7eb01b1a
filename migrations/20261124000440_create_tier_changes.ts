import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_tier_changes';

/** Append-only history of tier changes, each with its reason and the spend that decided it. */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.bigInteger('member_id').unsigned().notNullable().references('id').inTable('loyalty_members');
    t.integer('from_tier_id').unsigned().nullable();
    t.integer('to_tier_id').unsigned().notNullable();
    t.string('reason', 32).notNullable();
    t.bigInteger('qualifying_minor').notNullable();
    t.datetime('created_at', MS).notNullable();
    t.index(['member_id', 'id'], 'loyalty_tier_changes_member_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
