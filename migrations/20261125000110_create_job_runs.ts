import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_job_runs';

/**
 * One row per job and period: a finished period is never run again, and a run that stopped
 * halfway resumes from its marker. `owner` fences the row: only the lease holder writes it.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    binary(t.string('job', 64).notNullable(), knex);
    binary(t.string('period', 64).notNullable(), knex);
    t.string('state', 16).notNullable();
    t.string('owner', 190).notNullable();
    t.integer('attempts').unsigned().notNullable().defaultTo(1);
    t.string('marker', 190).nullable();
    t.text('counts').nullable();
    t.text('error').nullable();
    t.datetime('started_at', MS).notNullable();
    t.datetime('finished_at', MS).nullable();
    t.unique(['job', 'period'], { indexName: 'loyalty_job_runs_job_period_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
