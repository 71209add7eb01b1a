import type { Knex } from 'knex';

/** Case-sensitive comparison for identifiers on MySQL (its default collation folds case). */
export function binary(column: Knex.ColumnBuilder, knex: Knex): Knex.ColumnBuilder {
  return knex.client.config.client === 'mysql2' ? column.collate('utf8mb4_bin') : column;
}

/** Millisecond precision on MySQL; SQLite stores what it is given. */
export const MS = { precision: 3 } as const;
