import type { Knex } from 'knex';
import { MS } from './helpers';

const TABLE = 'loyalty_expiry_warnings';
const COLUMN = 'expires_at';

/**
 * The deadline a warning was about. Under the inactivity policy an earning moves every open lot
 * to a later deadline, and a lot warned about before it moved must be warned again before the
 * new one: "once per lot and threshold" is once per lot, threshold and deadline. Nullable until
 * the next migration fills it for the rows written before it existed.
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn(TABLE, COLUMN)) return;
  await knex.schema.alterTable(TABLE, (t) => t.datetime(COLUMN, MS).nullable());
}

export async function down(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn(TABLE, COLUMN))) return;
  await knex.schema.alterTable(TABLE, (t) => t.dropColumn(COLUMN));
}
