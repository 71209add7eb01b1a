import type { Knex } from 'knex';

const TABLE = 'loyalty_rules';

/**
 * The seeded example rules' product labels in the five languages (`params.labels`), so "how
 * you earn" names the products in the member's language. A rule is the seeded one only while
 * its English `label` is still ours; a language the provider already labelled is kept.
 */
const SEEDED: Array<{ type: string; label: string; labels: Record<string, string> }> = [
  {
    type: 'product_multiplier',
    label: 'dedicated servers',
    labels: { en: 'dedicated servers', ru: 'выделенные серверы', tr: 'adanmış sunucular', vi: 'máy chủ riêng', zh: '独立服务器' },
  },
  {
    type: 'exclusion',
    label: 'domain transfers',
    labels: { en: 'domain transfers', ru: 'перенос доменов', tr: 'alan adı transferleri', vi: 'chuyển tên miền', zh: '域名转入' },
  },
];

export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) return;
  const now = new Date();
  for (const seeded of SEEDED) {
    for (const row of await knex(TABLE).where({ type: seeded.type }).select('id', 'params')) {
      const params = parseObject(row.params);
      if (!params || params.label !== seeded.label) continue;
      const labels = parseObject(params.labels) ?? {};
      const missing = Object.fromEntries(Object.entries(seeded.labels).filter(([language]) => !(language in labels)));
      if (Object.keys(missing).length === 0) continue;
      await knex(TABLE).where({ id: row.id }).update({ params: JSON.stringify({ ...params, labels: { ...labels, ...missing } }), updated_at: now });
    }
  }
}

/** Removes only the labels that are still ours. */
export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) return;
  const now = new Date();
  for (const seeded of SEEDED) {
    for (const row of await knex(TABLE).where({ type: seeded.type }).select('id', 'params')) {
      const params = parseObject(row.params);
      const labels = params && parseObject(params.labels);
      if (!params || !labels) continue;
      const kept = Object.fromEntries(Object.entries(labels).filter(([language, value]) => value !== seeded.labels[language]));
      if (Object.keys(kept).length === Object.keys(labels).length) continue;
      const { labels: _dropped, ...rest } = params;
      await knex(TABLE).where({ id: row.id }).update({ params: JSON.stringify(Object.keys(kept).length ? { ...rest, labels: kept } : rest), updated_at: now });
    }
  }
}

function parseObject(value: unknown): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(String(value));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
