import type { Knex } from 'knex';

const TABLE = 'loyalty_ledger';
const INDEX = 'loyalty_ledger_member_rule_idx';

async function hasIndex(knex: Knex): Promise<boolean> {
  if (knex.client.config.client === 'mysql2') {
    const [rows] = await knex.raw('SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ? LIMIT 1', [TABLE, INDEX]);
    return (rows as unknown[]).length > 0;
  }
  const rows: unknown[] = await knex.raw("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", [INDEX]);
  return rows.length > 0;
}

/**
 * Caps sum what a rule gave a member within a period, and once-per-member bonuses look for a
 * rule's earlier award: both are ranges on (member_id, rule, created_at).
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE)) || (await hasIndex(knex))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.index(['member_id', 'rule', 'created_at'], INDEX);
  });
}

export async function down(knex: Knex): Promise<void> {
  if (!(await hasIndex(knex))) return;
  await knex.schema.alterTable(TABLE, (t) => {
    t.dropIndex(['member_id', 'rule', 'created_at'], INDEX);
  });
}
