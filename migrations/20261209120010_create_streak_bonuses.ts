import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_streak_bonuses';

/**
 * One row per renewal-streak milestone a service reached: the run (`run_after`, the due date of
 * the late renewal the run follows, '' for the first run), the rule and which time within the
 * run it was reached (domain/rules/lifecycle.ts). `held` says whether its bonus stands: a late
 * renewal delivered after the bonus was paid can break the streak that reached it, and the
 * bonus then moves to the milestone reached in its place or is taken back by a new ledger
 * entry. `points` is what it paid (0 when a cap or the earning pause took it all), and
 * `ledger_id` the entry that paid it, whose lots a take-back draws first.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.bigInteger('member_id').unsigned().notNullable().references('id').inTable('loyalty_members');
    binary(t.string('service_id', 64).notNullable(), knex);
    t.string('run_after', 10).notNullable();
    t.bigInteger('rule_id').unsigned().notNullable();
    t.integer('ordinal').notNullable();
    t.boolean('held').notNullable();
    t.bigInteger('points').notNullable().defaultTo(0);
    t.bigInteger('ledger_id').unsigned().nullable();
    t.bigInteger('event_id').unsigned().nullable();
    t.datetime('updated_at', MS).notNullable();
    t.unique(['member_id', 'service_id', 'run_after', 'rule_id', 'ordinal'], { indexName: 'loyalty_streak_bonuses_milestone_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
