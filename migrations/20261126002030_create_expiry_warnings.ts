import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_expiry_warnings';

/**
 * One row per lot and warning threshold (days before expiry) the member was told about,
 * written in the transaction that queues the email: the primary key makes "once per lot and
 * threshold" hold across reruns and instances, whatever the ledger says.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigInteger('lot_id').unsigned().notNullable();
    t.integer('threshold_days').unsigned().notNullable();
    t.bigInteger('member_id').unsigned().notNullable();
    t.datetime('warned_at', MS).notNullable();
    t.primary(['lot_id', 'threshold_days']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
