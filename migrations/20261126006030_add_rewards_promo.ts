import type { Knex } from 'knex';

const TABLE = 'loyalty_rewards';

/** For rewards delivered as a promo code: JSON `{ type: "percent" | "amount", percent?, validDays }`. */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, 'promo')) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.text('promo').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, 'promo'))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropColumn('promo');
  });
}
