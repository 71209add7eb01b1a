import type { Knex } from 'knex';
import { binary, MS } from './helpers';

const TABLE = 'loyalty_service_upgrades';

/**
 * One row per upgrade of a member's service and the invoice that paid for it: the
 * `service.upgraded` event and the payment of the invoice's upgrade line arrive in any order,
 * and whichever comes second completes the row. `points` is what the event earned (its inbox row
 * `event_id` names its ledger entries), and `reversed_points` how many of them the invoice's
 * refunds, chargeback or reversal take back.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(TABLE)) return;
  await knex.schema.createTable(TABLE, (t) => {
    t.bigIncrements('id');
    t.bigInteger('member_id').unsigned().notNullable().references('id').inTable('loyalty_members');
    binary(t.string('service_id', 64).notNullable(), knex);
    binary(t.string('invoice_id', 64).nullable(), knex);
    t.datetime('paid_at', MS).nullable();
    t.datetime('upgraded_at', MS).nullable();
    t.bigInteger('event_id').unsigned().nullable();
    t.bigInteger('points').notNullable().defaultTo(0);
    t.bigInteger('reversed_points').notNullable().defaultTo(0);
    t.datetime('updated_at', MS).notNullable();
    t.unique(['member_id', 'invoice_id', 'service_id'], { indexName: 'loyalty_service_upgrades_invoice_unique' });
    t.index(['member_id', 'service_id'], 'loyalty_service_upgrades_service_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists(TABLE);
}
