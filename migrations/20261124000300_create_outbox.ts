import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_outbox';

/**
 * Actions for the panel (discount lines, client tiers, credits), written in the same
 * transaction as the change that calls for them and sent later by the outbox dispatcher.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.string('action', 64).notNullable();
    t.text('payload').notNullable();
    // pending → sent, or failed once the dispatcher gives up after its maximum attempts.
    t.string('state', 16).notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.datetime('next_attempt_at', MS).notNullable();
    t.text('last_error').nullable();
    // Binary on MySQL: keys are identifiers, and "Invoice:1" must not collide with "invoice:1".
    binary(t.string('idempotency_key', 190).notNullable(), knex);
    t.datetime('created_at', MS).notNullable();
    t.datetime('sent_at', MS).nullable();
    t.string('panel_reference', 190).nullable();
    t.unique(['idempotency_key'], { indexName: 'loyalty_outbox_idempotency_key_unique' });
    // The dispatcher's work list: due pending rows, found without scanning sent history.
    t.index(['state', 'next_attempt_at'], 'loyalty_outbox_due_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
