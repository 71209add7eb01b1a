import type { Knex } from 'knex';

const TABLE = 'loyalty_rewards';

/** 100 points = 1.00, in the currencies the default program earns in (no exchange rate is guessed). */
const PER_100_POINTS = { USD: 100, EUR: 100, GBP: 100 };

/**
 * A starter catalog, switched on, so redemption works out of the box: a fixed credit and "any
 * amount" of credit in steps. Only into an empty table: a provider's catalog is never touched.
 */
export async function up(knex: Knex): Promise<void> {
  const row = await knex(TABLE).count({ n: '*' }).first();
  if (Number(row?.n ?? 0) > 0) return;
  const now = new Date();
  const common = { kind: 'credit', active: true, created_at: now, updated_at: now };
  await knex(TABLE).insert([
    {
      ...common,
      names: JSON.stringify({
        en: '5.00 account credit',
        ru: '5.00 на баланс',
        tr: '5,00 hesap bakiyesi',
        vi: 'Số dư tài khoản 5,00',
        zh: '5.00 账户余额',
      }),
      descriptions: JSON.stringify({
        en: 'Added to your account balance and used on your next invoice.',
        ru: 'Зачисляется на баланс и идёт в оплату следующего счёта.',
        tr: 'Hesap bakiyenize eklenir ve bir sonraki faturanızda kullanılır.',
        vi: 'Được cộng vào số dư tài khoản và dùng cho hóa đơn tiếp theo.',
        zh: '计入账户余额，用于支付下一张账单。',
      }),
      cost_points: 500,
      values: JSON.stringify(Object.fromEntries(Object.entries(PER_100_POINTS).map(([c, v]) => [c, v * 5]))),
    },
    {
      ...common,
      names: JSON.stringify({
        en: 'Account credit, any amount',
        ru: 'Любая сумма на баланс',
        tr: 'İstediğiniz tutarda hesap bakiyesi',
        vi: 'Số dư tài khoản theo số tiền tùy chọn',
        zh: '任意金额账户余额',
      }),
      descriptions: JSON.stringify({
        en: 'Every 100 points become 1.00 of account credit.',
        ru: 'Каждые 100 баллов — 1.00 на баланс.',
        tr: 'Her 100 puan 1,00 hesap bakiyesine dönüşür.',
        vi: 'Mỗi 100 điểm đổi được 1,00 số dư tài khoản.',
        zh: '每 100 积分可兑换 1.00 账户余额。',
      }),
      step_points: 100,
      min_points: 100,
      values: JSON.stringify(PER_100_POINTS),
    },
  ]);
}

export async function down(knex: Knex): Promise<void> {
  await knex(TABLE)
    .where({ kind: 'credit' })
    .andWhere((q) => q.where({ cost_points: 500 }).orWhere({ step_points: 100 }))
    .delete();
}
