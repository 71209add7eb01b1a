import type { Knex } from 'knex';

const TABLE = 'loyalty_rules';

/**
 * Examples of the service-lifecycle and action rule types, switched off like every seeded rule:
 * installing them must not change what members earn. Each type is seeded only while the table
 * has no rule of it, so a provider's own rules (or deletions) are left alone.
 */
const DEFAULTS: Array<{ type: string; params: Record<string, unknown> }> = [
  { type: 'service_upgrade', params: { points: 50, money_from: 'lines' } },
  { type: 'renewal_streak', params: { streak: 3, percent: 10, repeat: true } },
  { type: 'action', params: { kind: 'review', points: 25, per: 'ever' } },
];

export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) return;
  const now = new Date();
  for (const d of DEFAULTS) {
    if (await knex(TABLE).where({ type: d.type }).first('id')) continue;
    await knex(TABLE).insert({ type: d.type, params: JSON.stringify(d.params), active: false, created_at: now, updated_at: now });
  }
}

/** Leaves the rows: by now they may be the provider's own. */
export async function down(): Promise<void> {}
