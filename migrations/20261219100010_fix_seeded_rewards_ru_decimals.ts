import type { Knex } from 'knex';

const TABLE = 'loyalty_rewards';

/**
 * The Russian texts of 20261126006020_seed_rewards wrote amounts with a decimal point ("5.00 на
 * баланс"); Russian writes a comma ("5,00"), as every amount the pages format does. Each text is
 * replaced only while it is still exactly the seeded one: a provider who rewrote a name or a
 * description wrote what they meant, and a reward whose texts were never ours is not looked at
 * beyond them. Redemptions keep the names they were made under.
 */
const FIXES: ReadonlyArray<{ column: 'names' | 'descriptions'; language: string; seeded: string; fixed: string }> = [
  { column: 'names', language: 'ru', seeded: '5.00 на баланс', fixed: '5,00 на баланс' },
  { column: 'descriptions', language: 'ru', seeded: 'Каждые 100 баллов — 1.00 на баланс.', fixed: 'Каждые 100 баллов — 1,00 на баланс.' },
];

export async function up(knex: Knex): Promise<void> {
  await replace(knex, (f) => [f.seeded, f.fixed]);
}

/** Back to the seeded texts, only where they are still this migration's. */
export async function down(knex: Knex): Promise<void> {
  await replace(knex, (f) => [f.fixed, f.seeded]);
}

async function replace(knex: Knex, direction: (fix: (typeof FIXES)[number]) => [from: string, to: string]): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) return;
  const now = new Date();
  for (const row of await knex(TABLE).where({ kind: 'credit' }).select('id', 'names', 'descriptions')) {
    const changed: Record<string, string> = {};
    for (const column of ['names', 'descriptions'] as const) {
      const texts = parseObject(row[column]);
      if (!texts) continue;
      let touched = false;
      for (const fix of FIXES.filter((f) => f.column === column)) {
        const [from, to] = direction(fix);
        if (texts[fix.language] !== from) continue;
        texts[fix.language] = to;
        touched = true;
      }
      if (touched) changed[column] = JSON.stringify(texts);
    }
    if (Object.keys(changed).length > 0) await knex(TABLE).where({ id: row.id }).update({ ...changed, updated_at: now });
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
