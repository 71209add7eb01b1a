import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_annual_awards';

/**
 * Birthday and anniversary bonuses given, one row per member, award and year, written in the
 * transaction of the ledger credit (reference `birthday:2026`). The unique key, not the job's
 * lease, is what stops a replay or a second instance from awarding twice.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.bigInteger('member_id').unsigned().notNullable();
    t.string('award', 16).notNullable();
    t.integer('year').unsigned().notNullable();
    t.bigInteger('points').notNullable();
    t.datetime('awarded_at', MS).notNullable();
    t.unique(['member_id', 'award', 'year'], { indexName: 'loyalty_annual_awards_member_award_year_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
