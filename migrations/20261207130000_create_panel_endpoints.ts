import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_panel_endpoints';

/**
 * One row per panel endpoint the outbox dispatcher has paused: a receiver answered 410 Gone
 * (Standard Webhooks: the endpoint is retired), so no instance sends to it until an operator
 * resumes it. A row, not process memory, so every instance sees the pause and it survives a
 * restart. `endpoint` is the adapter's endpoint as logs show it (origin and path, no secrets).
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    binary(t.string('endpoint', 190).notNullable(), knex);
    t.string('panel', 64).notNullable();
    // Null once resumed; the row stays as a record of the last pause.
    t.datetime('paused_at', MS).nullable();
    t.string('reason', 500).nullable();
    t.datetime('resumed_at', MS).nullable();
    t.primary(['endpoint']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
