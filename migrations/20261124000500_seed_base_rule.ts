import type { Knex } from 'knex';

const TABLE = 'loyalty_settings';
const KEY = 'base_rule';

/**
 * The base rate's switch, window and cap (program setting `base_rule`, see domain/program.ts),
 * seeded on, with no window and no cap: what members earned before it existed. The per-currency
 * rates stay in `earn_rates`. Checks first, so a re-run or a provider's own value is left alone.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) return;
  if (await knex(TABLE).where({ key: KEY }).first('key')) return;
  await knex(TABLE).insert({
    key: KEY,
    value: JSON.stringify({ active: true, starts_at: null, ends_at: null, cap: null }),
    updated_at: new Date(),
  });
}

/** Leaves the row: by now it may be the provider's own, and without it the base rate is on anyway. */
export async function down(): Promise<void> {}
