import type { Knex } from 'knex';

const TABLE = 'loyalty_tiers';

/** The four default tiers; only into an empty table, so a provider's own tiers are never touched. */
export async function up(knex: Knex): Promise<void> {
  const row = await knex(TABLE).count({ n: '*' }).first();
  if (Number(row?.n ?? 0) > 0) return;
  const now = new Date();
  const perks = (en: string[], ru: string[]) => JSON.stringify({ en, ru });
  await knex(TABLE).insert([
    { name: 'Bronze', rank: 1, threshold_minor: 0, earn_multiplier: '1', renewal_discount_bp: 0, perks: perks(['Points on every paid invoice'], ['Баллы за каждый оплаченный счёт']), updated_at: now },
    { name: 'Silver', rank: 2, threshold_minor: 50_000, earn_multiplier: '1.1', renewal_discount_bp: 200, perks: perks(['10% more points', '2% off renewals'], ['На 10% больше баллов', 'Скидка 2% на продление']), updated_at: now },
    { name: 'Gold', rank: 3, threshold_minor: 200_000, earn_multiplier: '1.25', renewal_discount_bp: 500, perks: perks(['25% more points', '5% off renewals'], ['На 25% больше баллов', 'Скидка 5% на продление']), updated_at: now },
    { name: 'Platinum', rank: 4, threshold_minor: 1_000_000, earn_multiplier: '1.5', renewal_discount_bp: 1000, perks: perks(['50% more points', '10% off renewals', 'Priority support'], ['На 50% больше баллов', 'Скидка 10% на продление', 'Приоритетная поддержка']), updated_at: now },
  ]);
}

export async function down(knex: Knex): Promise<void> {
  await knex(TABLE).whereIn('name', ['Bronze', 'Silver', 'Gold', 'Platinum']).delete();
}
