import type { Knex } from 'knex';

const TABLE = 'loyalty_tiers';

/**
 * Turkish, Vietnamese and Chinese perks for the four seeded tiers, in the glossary's words
 * (plugin/i18n/locales/GLOSSARY.md). A tier is the seeded one only while its name and English
 * perks are still those of 20261124000410_seed_tiers: a provider who rewrote the perks wrote
 * what they offer, and a translation of our old text would contradict it.
 */
const SEEDED: Array<{ name: string; en: string[]; perks: Record<string, string[]> }> = [
  {
    name: 'Bronze',
    en: ['Points on every paid invoice'],
    perks: {
      tr: ['Ödenen her faturadan puan'],
      vi: ['Tích điểm với mọi hóa đơn đã thanh toán'],
      zh: ['每笔已支付账单均可获得积分'],
    },
  },
  {
    name: 'Silver',
    en: ['10% more points', '2% off renewals'],
    perks: {
      tr: ['%10 daha fazla puan', 'Yenilemelerde %2 indirim'],
      vi: ['Thêm 10% điểm', 'Giảm 2% khi gia hạn'],
      zh: ['积分多得 10%', '续费立减 2%'],
    },
  },
  {
    name: 'Gold',
    en: ['25% more points', '5% off renewals'],
    perks: {
      tr: ['%25 daha fazla puan', 'Yenilemelerde %5 indirim'],
      vi: ['Thêm 25% điểm', 'Giảm 5% khi gia hạn'],
      zh: ['积分多得 25%', '续费立减 5%'],
    },
  },
  {
    name: 'Platinum',
    en: ['50% more points', '10% off renewals', 'Priority support'],
    perks: {
      tr: ['%50 daha fazla puan', 'Yenilemelerde %10 indirim', 'Öncelikli destek'],
      vi: ['Thêm 50% điểm', 'Giảm 10% khi gia hạn', 'Hỗ trợ ưu tiên'],
      zh: ['积分多得 50%', '续费立减 10%', '优先技术支持'],
    },
  },
];

type Perks = Record<string, unknown>;

/** Adds only the locales a seeded tier lacks; a locale the provider already wrote is kept. */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) return;
  const now = new Date();
  for (const seeded of SEEDED) {
    for (const row of await knex(TABLE).where({ name: seeded.name }).select('id', 'perks')) {
      const perks = parsePerks(row.perks);
      if (!perks || !sameList(perks.en, seeded.en)) continue;
      const missing = Object.fromEntries(Object.entries(seeded.perks).filter(([locale]) => !(locale in perks)));
      if (Object.keys(missing).length === 0) continue;
      await knex(TABLE).where({ id: row.id }).update({ perks: JSON.stringify({ ...perks, ...missing }), updated_at: now });
    }
  }
}

/** Removes a locale only while it is still our text, so a provider's later edit survives. */
export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) return;
  const now = new Date();
  for (const seeded of SEEDED) {
    for (const row of await knex(TABLE).where({ name: seeded.name }).select('id', 'perks')) {
      const perks = parsePerks(row.perks);
      if (!perks) continue;
      const kept = Object.fromEntries(Object.entries(perks).filter(([locale, list]) => !sameList(list, seeded.perks[locale])));
      if (Object.keys(kept).length === Object.keys(perks).length) continue;
      await knex(TABLE).where({ id: row.id }).update({ perks: JSON.stringify(kept), updated_at: now });
    }
  }
}

function parsePerks(value: unknown): Perks | null {
  try {
    const parsed: unknown = JSON.parse(String(value));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Perks) : null;
  } catch {
    return null;
  }
}

function sameList(a: unknown, b: readonly string[] | undefined): boolean {
  return Array.isArray(a) && b !== undefined && a.length === b.length && a.every((item, i) => item === b[i]);
}
