import type { Knex } from 'knex';

const TABLE = 'loyalty_redemptions';

/** The promo code a redemption created (shown to the member once the panel has it). */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'code')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.string('code', 32).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'code'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn('code');
  });
}
