import type { Knex } from 'knex';

/** Case-sensitive comparison for identifiers on MySQL (its default collation folds case). */
export function binary(column: Knex.ColumnBuilder, knex: Knex): Knex.ColumnBuilder {
  return knex.client.config.client === 'mysql2' ? column.collate('utf8mb4_bin') : column;
}

/** Millisecond precision on MySQL; SQLite stores what it is given. */
export const MS = { precision: 3 } as const;

/** Whether an index of this name exists on the table, on either engine: migrations check before they act. */
export async function hasIndex(knex: Knex, table: string, index: string): Promise<boolean> {
  if (knex.client.config.client === 'mysql2') {
    const [rows] = await knex.raw('SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ? LIMIT 1', [table, index]);
    return (rows as unknown[]).length > 0;
  }
  const rows: unknown[] = await knex.raw("SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name = ?", [table, index]);
  return rows.length > 0;
}

/** A column's collation on MySQL/MariaDB; null on SQLite, whose comparisons are binary already. */
export async function collationOf(knex: Knex, table: string, column: string): Promise<string | null> {
  if (knex.client.config.client !== 'mysql2') return null;
  const [rows] = await knex.raw('SELECT COLLATION_NAME AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?', [table, column]);
  return ((rows as Array<{ c: string | null }>)[0]?.c ?? null) as string | null;
}

/**
 * A migration's pair that makes an identifier column compare as written on MySQL/MariaDB
 * (`utf8mb4_bin`, as `binary` gives new columns), keeping its type; nothing to do on SQLite.
 */
export function binaryCollation(table: string, column: string, type: string): { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> } {
  return {
    async up(knex) {
      const collation = await collationOf(knex, table, column);
      if (collation === null || collation === 'utf8mb4_bin') return;
      await knex.raw(`ALTER TABLE ?? MODIFY ?? ${type} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL`, [table, column]);
    },
    async down(knex) {
      if ((await collationOf(knex, table, column)) !== 'utf8mb4_bin') return;
      await knex.raw(`ALTER TABLE ?? MODIFY ?? ${type} NULL`, [table, column]);
    },
  };
}

/** A table's primary key columns in key order, on either engine ([] when it has none): migrations that change a key check it first. */
export async function primaryKeyOf(knex: Knex, table: string): Promise<string[]> {
  if (knex.client.config.client === 'mysql2') {
    const [rows] = await knex.raw(
      "SELECT column_name AS c FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = 'PRIMARY' ORDER BY seq_in_index",
      [table],
    );
    return (rows as Array<{ c: string }>).map((r) => r.c);
  }
  const rows: Array<{ name: string; pk: number }> = await knex.raw('SELECT name, pk FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk', [table]);
  return rows.map((r) => r.name);
}

/** A column's declared character length on MySQL/MariaDB; null on SQLite, which never enforces one. */
export async function varcharLengthOf(knex: Knex, table: string, column: string): Promise<number | null> {
  if (knex.client.config.client !== 'mysql2') return null;
  const [rows] = await knex.raw('SELECT CHARACTER_MAXIMUM_LENGTH AS n FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?', [table, column]);
  const n = (rows as Array<{ n: number | string | null }>)[0]?.n;
  return n === undefined || n === null ? null : Number(n);
}

/**
 * A migration's pair that widens a `VARCHAR` column (NOT NULL unless `nullable`) on MySQL/MariaDB, where a value
 * longer than its column is refused (strict mode) and the request fails; nothing to do on
 * SQLite, which stores any length. The collation (and so the character set) is kept. Going
 * down refuses, rather than truncates, a row that no longer fits.
 */
export function widenVarchar(table: string, column: string, from: number, to: number, options: { nullable?: boolean } = {}): { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> } {
  const modify = async (knex: Knex, length: number) => {
    // MODIFY restates the whole column: without its collation it would take the table's, and
    // without its NULL or NOT NULL, NULL.
    const collation = await collationOf(knex, table, column);
    const collate = collation !== null && /^\w+$/.test(collation) ? ` COLLATE ${collation}` : '';
    await knex.raw(`ALTER TABLE ?? MODIFY ?? VARCHAR(${length})${collate} ${options.nullable ? 'NULL' : 'NOT NULL'}`, [table, column]);
  };
  return {
    async up(knex) {
      const length = await varcharLengthOf(knex, table, column);
      if (length === null || length >= to) return;
      await modify(knex, to);
    },
    async down(knex) {
      const length = await varcharLengthOf(knex, table, column);
      if (length === null || length <= from) return;
      await modify(knex, from);
    },
  };
}

/**
 * Drops a column no index, key or constraint names, checking first. SQLite drops it in place
 * (ALTER TABLE … DROP COLUMN): knex would copy the table and drop the old one, which fails while
 * another table's rows reference it through a foreign key (a ledger entry's lots, a member's rows).
 */
export async function dropPlainColumn(knex: Knex, table: string, column: string): Promise<void> {
  if (!(await knex.schema.hasColumn(table, column))) return;
  if (knex.client.config.client === 'mysql2') await knex.schema.alterTable(table, (t) => t.dropColumn(column));
  else await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [table, column]);
}

/** A JSON object column's value (text on either engine, or already parsed), null when it holds no object. */
export function parseJsonObject(value: unknown): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(String(value));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
