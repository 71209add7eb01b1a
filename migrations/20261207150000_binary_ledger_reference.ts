import type { Knex } from 'knex';
import { collationOf } from './helpers';

const TABLE = 'loyalty_ledger';

/**
 * References compare as written, as on SQLite: under the table's case- and accent-folding
 * collation, action `Trust:ABC` counted as already awarded for `trust:abc`, and invoice `INV`
 * shared its entries with `inv`. MySQL/MariaDB only; the column keeps its type.
 */
export async function up(knex: Knex): Promise<void> {
  const collation = await collationOf(knex, TABLE, 'reference');
  if (collation === null || collation === 'utf8mb4_bin') return;
  await knex.raw('ALTER TABLE ?? MODIFY ?? VARCHAR(160) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL', [TABLE, 'reference']);
}

export async function down(knex: Knex): Promise<void> {
  if ((await collationOf(knex, TABLE, 'reference')) !== 'utf8mb4_bin') return;
  await knex.raw('ALTER TABLE ?? MODIFY ?? VARCHAR(160) NULL', [TABLE, 'reference']);
}
