import type { Knex } from 'knex';

const TABLE = 'loyalty_rewards';

/**
 * Two example codes, switched off until the provider turns them on (their panel must be able
 * to create codes): 10% off an order, and a domain renewal as a code worth a .com's price.
 * Only when the catalog has no code rewards yet.
 */
export async function up(knex: Knex): Promise<void> {
  const row = await knex(TABLE).whereIn('kind', ['promo_code', 'perk']).count({ n: '*' }).first();
  if (Number(row?.n ?? 0) > 0) return;
  const now = new Date();
  const common = { active: false, created_at: now, updated_at: now };
  await knex(TABLE).insert([
    {
      ...common,
      kind: 'promo_code',
      names: JSON.stringify({ en: '10% off an order', ru: 'Скидка 10% на заказ', tr: 'Bir siparişte %10 indirim', vi: 'Giảm 10% cho một đơn hàng', zh: '订单九折优惠' }),
      descriptions: JSON.stringify({
        en: 'A single-use code for 10% off one order, valid for 90 days.',
        ru: 'Одноразовый промокод на скидку 10% на один заказ, действует 90 дней.',
        tr: 'Tek bir siparişte %10 indirim sağlayan, 90 gün geçerli tek kullanımlık kod.',
        vi: 'Mã dùng một lần giảm 10% cho một đơn hàng, hiệu lực 90 ngày.',
        zh: '一次性优惠码，单笔订单享九折，90 天内有效。',
      }),
      cost_points: 1000,
      values: JSON.stringify({}),
      promo: JSON.stringify({ type: 'percent', percent: 10, validDays: 90 }),
    },
    {
      ...common,
      kind: 'perk',
      names: JSON.stringify({ en: 'Free domain renewal', ru: 'Бесплатное продление домена', tr: 'Ücretsiz alan adı yenileme', vi: 'Gia hạn tên miền miễn phí', zh: '免费域名续费' }),
      descriptions: JSON.stringify({
        en: 'A code worth one year of a .com renewal, valid for 180 days.',
        ru: 'Промокод на год продления домена .com, действует 180 дней.',
        tr: 'Bir yıllık .com yenilemesi değerinde, 180 gün geçerli bir kod.',
        vi: 'Mã trị giá một năm gia hạn tên miền .com, hiệu lực 180 ngày.',
        zh: '价值一年 .com 续费的优惠码，180 天内有效。',
      }),
      cost_points: 1500,
      values: JSON.stringify({ USD: 1500, EUR: 1400, GBP: 1200 }),
      promo: JSON.stringify({ type: 'amount', validDays: 180 }),
    },
  ]);
}

export async function down(knex: Knex): Promise<void> {
  await knex(TABLE).whereIn('kind', ['promo_code', 'perk']).andWhere({ active: false }).delete();
}
