import type { Knex } from 'knex';

const TABLE = 'loyalty_rules';

/**
 * Example rules a hosting program typically runs, all switched off: installing or upgrading the
 * plugin must not change what members earn until the provider decides to. A promo is not seeded
 * because it only means something with the provider's own dates.
 */
const DEFAULTS: Array<{ type: string; params: Record<string, unknown> }> = [
  { type: 'product_multiplier', params: { multiplier: '2', product_groups: ['dedicated-servers'], label: 'dedicated servers' } },
  { type: 'exclusion', params: { product_groups: ['domain-transfers'], label: 'domain transfers' } },
  { type: 'renewal_bonus', params: { percent: 10 } },
  { type: 'upgrade_bonus', params: { percent: 10 } },
  { type: 'annual_prepay_bonus', params: { percent: 20, item_types: ['new', 'renewal', 'addon'] } },
  { type: 'first_purchase', params: { points: 100 } },
  { type: 'signup', params: { points: 50 } },
];

/** Seeds only an empty table, so rules a provider changed or deleted never come back. */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) return;
  const row = await knex(TABLE).count({ n: '*' }).first();
  if (Number(row?.n ?? 0) > 0) return;
  const now = new Date();
  await knex(TABLE).insert(
    DEFAULTS.map((d) => ({ type: d.type, params: JSON.stringify(d.params), active: false, created_at: now, updated_at: now })),
  );
}

/** Leaves the rows: by now they may be the provider's own. The table's migration drops them. */
export async function down(): Promise<void> {}
