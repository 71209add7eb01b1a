import type { Knex } from 'knex';

const TABLE = 'loyalty_lots';

/**
 * Pending lots: earned but inside the refund window, so not yet spendable. The index serves
 * the release step ("this member's lots due now") without scanning spent history.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'pending')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.boolean('pending').notNullable().defaultTo(false);
    t.index(['member_id', 'pending', 'available_at'], 'loyalty_lots_member_pending_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'pending'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropIndex(['member_id', 'pending', 'available_at'], 'loyalty_lots_member_pending_idx');
    t.dropColumn('pending');
  });
}
