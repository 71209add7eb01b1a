import type { Knex } from 'knex';
import { hasIndex } from './helpers';

const TABLE = 'loyalty_job_runs';
const INDEX = 'loyalty_job_runs_state_job_period_idx';

/**
 * Every instance looks each minute for runs left `running` by an instance that died or was
 * stopped (`WHERE state = 'running'`), and a taker lists a job's such periods in order: with
 * (state, job, period) both read only those rows, not the table's history of finished runs.
 */
export async function up(knex: Knex): Promise<void> {
  if (await hasIndex(knex, TABLE, INDEX)) return;
  await knex.schema.alterTable(TABLE, (t) => t.index(['state', 'job', 'period'], INDEX));
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex, TABLE, INDEX))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropIndex(['state', 'job', 'period'], INDEX));
}
