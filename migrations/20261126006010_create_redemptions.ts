import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_redemptions';

/** One row per redemption, keyed by the member's one-time confirmation key. */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.bigInteger('member_id').unsigned().notNullable();
    t.bigInteger('reward_id').unsigned().notNullable();
    t.bigInteger('points').notNullable();
    t.string('currency', 3).notNullable();
    t.bigInteger('value_minor').notNullable();
    t.string('state', 16).notNullable();
    binary(t.string('idempotency_key', 190).notNullable(), knex);
    binary(t.string('action_key', 190).notNullable(), knex);
    t.string('panel_reference', 190).nullable();
    // JSON: what was taken from which lot (points, earned_at, expires_at), to give back as it was.
    t.text('spent_lots').notNullable();
    t.datetime('created_at', MS).notNullable();
    t.datetime('updated_at', MS).notNullable();
    t.unique(['idempotency_key'], { indexName: 'loyalty_redemptions_idempotency_key_unique' });
    t.unique(['action_key'], { indexName: 'loyalty_redemptions_action_key_unique' });
    // Per-member limits count a member's redemptions of a reward by time.
    t.index(['member_id', 'reward_id', 'created_at'], 'loyalty_redemptions_member_reward_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
