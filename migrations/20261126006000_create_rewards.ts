import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_rewards';

/** The rewards catalog (domain/rewards.ts says what each column means). */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.string('kind', 32).notNullable();
    // JSON objects by language: provider text, shown in the member's language.
    t.text('names').notNullable();
    t.text('descriptions').notNullable();
    t.bigInteger('cost_points').nullable();
    t.bigInteger('step_points').nullable();
    t.bigInteger('min_points').nullable();
    // JSON: minor units per currency.
    t.text('values').notNullable();
    t.integer('min_tier_rank').nullable();
    t.bigInteger('stock').nullable();
    t.datetime('starts_at', MS).nullable();
    t.datetime('ends_at', MS).nullable();
    t.integer('limit_per_month').nullable();
    t.integer('limit_total').nullable();
    t.boolean('active').notNullable().defaultTo(false);
    t.datetime('created_at', MS).notNullable();
    t.datetime('updated_at', MS).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
