import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_ledger';

/** Append-only: rows are inserted, never updated or deleted; a correction is a new row. */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.bigInteger('member_id').unsigned().notNullable().references('id').inTable('loyalty_members');
    t.bigInteger('delta').notNullable();
    t.string('kind', 16).notNullable();
    t.string('reason_code', 64).notNullable();
    t.text('reason_params').nullable();
    t.string('rule', 64).nullable();
    t.string('reference', 160).nullable();
    t.bigInteger('event_id').unsigned().nullable().references('id').inTable('loyalty_events');
    t.string('actor', 64).notNullable();
    t.bigInteger('balance_after').notNullable();
    // Set only where an effect must happen once (a signup bonus, a refund of one invoice …).
    binary(t.string('unique_key', 190).nullable(), knex);
    t.datetime('created_at', MS).notNullable();
    t.unique(['unique_key'], { indexName: 'loyalty_ledger_unique_key_unique' });
    t.index(['member_id', 'id'], 'loyalty_ledger_member_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
