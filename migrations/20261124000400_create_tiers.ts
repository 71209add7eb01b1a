import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_tiers';

/**
 * Tiers by rank. The threshold is rolling-12-month qualifying spend in the program's base
 * currency (minor units); the multiplier is an exact decimal string; the renewal discount is
 * in basis points (500 = 5%) so no percentage ever passes through a float.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.increments('id');
    t.string('name', 64).notNullable();
    t.integer('rank').notNullable();
    t.bigInteger('threshold_minor').notNullable();
    t.string('earn_multiplier', 16).notNullable().defaultTo('1');
    t.integer('renewal_discount_bp').notNullable().defaultTo(0);
    t.text('perks').notNullable();
    t.datetime('updated_at', MS).notNullable();
    t.unique(['rank'], { indexName: 'loyalty_tiers_rank_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
