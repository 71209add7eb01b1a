import type { Knex } from 'knex';

const TABLE = 'loyalty_tiers';

/**
 * The four seeded tiers' names in the five languages (plugin/i18n/locales/GLOSSARY.md). A tier
 * is the seeded one only while its name and English perks are still those of
 * 20261124000410_seed_tiers; a language the provider already named is kept.
 */
const SEEDED: Array<{ name: string; firstPerk: string; names: Record<string, string> }> = [
  { name: 'Bronze', firstPerk: 'Points on every paid invoice', names: { en: 'Bronze', ru: 'Бронзовый', tr: 'Bronz', vi: 'Đồng', zh: '青铜' } },
  { name: 'Silver', firstPerk: '10% more points', names: { en: 'Silver', ru: 'Серебряный', tr: 'Gümüş', vi: 'Bạc', zh: '白银' } },
  { name: 'Gold', firstPerk: '25% more points', names: { en: 'Gold', ru: 'Золотой', tr: 'Altın', vi: 'Vàng', zh: '黄金' } },
  { name: 'Platinum', firstPerk: '50% more points', names: { en: 'Platinum', ru: 'Платиновый', tr: 'Platin', vi: 'Bạch kim', zh: '铂金' } },
];

export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE)) || !(await knex.schema.hasColumn(TABLE, 'names'))) return;
  const now = new Date();
  for (const seeded of SEEDED) {
    for (const row of await knex(TABLE).where({ name: seeded.name }).select('id', 'perks', 'names')) {
      const perks = parseObject(row.perks);
      const english = perks?.en;
      if (!Array.isArray(english) || english[0] !== seeded.firstPerk) continue;
      const names = parseObject(row.names) ?? {};
      const missing = Object.fromEntries(Object.entries(seeded.names).filter(([language]) => !(language in names)));
      if (Object.keys(missing).length === 0) continue;
      await knex(TABLE).where({ id: row.id }).update({ names: JSON.stringify({ ...names, ...missing }), updated_at: now });
    }
  }
}

/** Removes only the names that are still ours. */
export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE)) || !(await knex.schema.hasColumn(TABLE, 'names'))) return;
  const now = new Date();
  for (const seeded of SEEDED) {
    for (const row of await knex(TABLE).where({ name: seeded.name }).select('id', 'names')) {
      const names = parseObject(row.names);
      if (!names) continue;
      const kept = Object.fromEntries(Object.entries(names).filter(([language, value]) => value !== seeded.names[language]));
      if (Object.keys(kept).length === Object.keys(names).length) continue;
      await knex(TABLE).where({ id: row.id }).update({ names: Object.keys(kept).length ? JSON.stringify(kept) : null, updated_at: now });
    }
  }
}

function parseObject(value: unknown): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(String(value));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
