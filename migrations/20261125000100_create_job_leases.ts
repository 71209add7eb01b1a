import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_job_leases';

/**
 * One row per job: who may run it, and until when. Claimed with a conditional UPDATE, so it
 * works the same on every engine and connection pool (DESIGN §10: not GET_LOCK).
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    binary(t.string('job', 64).notNullable(), knex);
    t.string('owner', 190).notNullable();
    t.datetime('lease_until', MS).notNullable();
    t.primary(['job']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
