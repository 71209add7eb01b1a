import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_audit';

/**
 * What admins did, one row per action (sign-ins and refused sign-ins too): who, in which role,
 * what, to what, before and after (JSON), when, from where. Append-only: nothing updates or
 * deletes a row; each is written in the transaction of the action it records.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.string('actor_id', 64).notNullable();
    t.string('actor_name', 190).notNullable();
    t.string('role', 16).notNullable();
    t.string('action', 64).notNullable();
    t.string('target', 190).nullable();
    t.text('before').nullable();
    t.text('after').nullable();
    t.datetime('at', MS).notNullable();
    t.string('ip', 64).nullable();
    t.string('request_id', 64).nullable();
    // The page lists newest first, filtered by one of these; the id breaks ties and pages.
    t.index(['actor_id', 'id'], 'loyalty_audit_actor_idx');
    t.index(['action', 'id'], 'loyalty_audit_action_idx');
    t.index(['target', 'id'], 'loyalty_audit_target_idx');
    t.index(['at'], 'loyalty_audit_at_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
