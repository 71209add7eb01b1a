import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_lots';

/** One lot per earn; spending and expiry draw `remaining` down, oldest expiry first. */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.bigInteger('member_id').unsigned().notNullable().references('id').inTable('loyalty_members');
    t.bigInteger('ledger_id').unsigned().notNullable().references('id').inTable('loyalty_ledger');
    t.bigInteger('points').notNullable();
    t.bigInteger('remaining').notNullable();
    t.datetime('earned_at', MS).notNullable();
    t.datetime('available_at', MS).notNullable();
    t.datetime('expires_at', MS).nullable();
    t.index(['member_id', 'expires_at'], 'loyalty_lots_member_expiry_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
