import type { Knex } from 'knex';
import { mysqlId, mysqlLiteral } from '../db/sql-literal';
import { toInt } from './row-values';

/**
 * Bound parameters per statement, under both engines' limits (SQLite 32,766, MySQL 65,535):
 * a batch of rows becomes as few multi-row INSERTs as fit.
 */
const MAX_PARAMETERS = 30_000;

/** `rows` in slices of at most `MAX_PARAMETERS` bound values (and `maxRows` rows) each. */
export function slices<T extends object>(rows: readonly T[], columns = rows[0] ? Object.keys(rows[0]).length : 1, maxRows = Infinity): T[][] {
  const size = Math.max(1, Math.min(maxRows, Math.floor(MAX_PARAMETERS / Math.max(1, columns))));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Plain multi-row INSERTs (never IGNORE: a duplicate fails the statement, DESIGN §10). */
export async function insertRows(db: Knex | Knex.Transaction, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  for (const slice of insertSlices(db, rows)) await insertSlice(db, table, slice);
}

/**
 * One multi-row INSERT … VALUES, with every row's columns those of the first. Returns the id
 * the engine reports: MySQL the first row's, SQLite the last's. knex writes a multi-row INSERT
 * on SQLite as a compound SELECT, which SQLite plans slowly and caps at 500 terms; a VALUES
 * list has neither problem, so that is what goes to SQLite. On MySQL the values are written
 * into the statement as literals (`mysqlLiteral`): knex's and then mysql2's placeholder passes
 * over a statement of 30,000 bindings were a third of a backfill's CPU (issue 14).
 */
async function insertSlice(db: Knex | Knex.Transaction, table: string, slice: readonly Record<string, unknown>[], suffix?: Knex.Raw): Promise<number> {
  const columns = Object.keys(slice[0] ?? {});
  if (columns.length === 0) return 0;
  if (isMysql(db)) {
    let first: number | undefined;
    for (const sql of mysqlInserts(table, slice, suffix ? ` ${suffix.toQuery()}` : '')) {
      const result: unknown = await db.raw(sql);
      first ??= toInt((result as [{ insertId?: number }])[0]?.insertId);
    }
    return first ?? 0;
  }
  const row = `(${columns.map(() => '?').join(', ')})`;
  const values = slice.flatMap((r) => columns.map((c) => r[c] ?? null));
  const sql = `insert into ?? (${columns.map(() => '??').join(', ')}) values ${slice.map(() => row).join(', ')}${suffix ? ` ${suffix.toQuery()}` : ''}`;
  const result: unknown = await db.raw(sql, [table, ...columns, ...values] as Knex.RawBinding[]);
  return toInt((result as { lastInsertRowid?: number | bigint }).lastInsertRowid);
}

/**
 * A slice's multi-row INSERTs on MySQL, values written as literals, one statement each time
 * the rows so far reach `MAX_STATEMENT_CHARS`; made as they are sent, so one is held at a time.
 */
function* mysqlInserts(table: string, slice: readonly Record<string, unknown>[], tail: string): Generator<string> {
  const columns = Object.keys(slice[0] ?? {});
  const head = `insert into ${mysqlId(table)} (${columns.map(mysqlId).join(', ')}) values `;
  let rows: string[] = [];
  let bytes = 0;
  for (const r of slice) {
    const row = `(${columns.map((c) => mysqlLiteral(r[c])).join(',')})`;
    rows.push(row);
    bytes += row.length;
    if (bytes >= MAX_STATEMENT_CHARS) {
      yield head + rows.join(',') + tail;
      rows = [];
      bytes = 0;
    }
  }
  if (rows.length > 0) yield head + rows.join(',') + tail;
}

/**
 * A MySQL statement's length at which the rows so far are sent. Past V8's large-object size a
 * string lives until a full collection: a backfill's megabyte statements, garbage a moment
 * later, grew the heap to several times what it held (issue 14's RSS target).
 */
const MAX_STATEMENT_CHARS = 96 * 1024;

function isMysql(db: Knex | Knex.Transaction): boolean {
  return db.client.config.client === 'mysql2';
}

/**
 * Adds `add` of each row to its (key) row's column, inserting the rows that are missing: one
 * statement per slice, the engine doing the increment. Nothing reads the affected-rows count
 * (DESIGN §10's trap with ON DUPLICATE KEY UPDATE), so it may be used here.
 */
export async function upsertAdding(db: Knex | Knex.Transaction, table: string, keys: readonly string[], add: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  const mysql = db.client.config.client === 'mysql2';
  const suffix = mysql ? db.raw('on duplicate key update ?? = ?? + values(??)', [add, add, add]) : db.raw(`on conflict (${keys.map(() => '??').join(', ')}) do update set ?? = ?? + excluded.??`, [...keys, add, add, add]);
  for (const slice of insertSlices(db, rows)) await insertSlice(db, table, slice, suffix);
}

/** The slices a multi-row INSERT of `rows` is sent in on this engine. */
export function insertSlices<T extends object>(_db: Knex | Knex.Transaction, rows: readonly T[]): T[][] {
  return slices(rows);
}

/**
 * Multi-row INSERTs of rows that each belong to a member the caller holds locked, returning
 * the new ids in the order of `rows`. An engine hands a multi-row INSERT ascending ids (MySQL
 * returns the first, SQLite the last); rows other transactions insert meanwhile may fall in
 * between under MySQL's interleaved auto-increment mode, but never for a locked member, so
 * reading the ids back from the first one on, for these members only, gives exactly ours.
 * MariaDB hands them back itself (`RETURNING`), which saves that read.
 */
export async function insertRowsReturningIds(
  db: Knex | Knex.Transaction,
  table: string,
  rows: ReadonlyArray<Record<string, unknown> & { member_id: number }>,
): Promise<number[]> {
  const ids: number[] = [];
  const mysql = db.client.config.client === 'mysql2';
  for (const slice of insertSlices(db, rows)) {
    if (mysql && slice.length > 1 && (await returnsIds(db))) {
      for (const sql of mysqlInserts(table, slice, ' returning id')) {
        const [back] = (await db.raw(sql)) as [Array<Record<string, unknown>>];
        ids.push(...back.map((r) => toInt(r.id)).sort((a, b) => a - b));
      }
      continue;
    }
    const id = await insertSlice(db, table, slice);
    if (!mysql || slice.length === 1) {
      // SQLite has one writer: the rows took the ids just below the last one. And a single
      // row's id is the one the engine reports.
      for (let i = slice.length - 1; i >= 0; i--) ids.push(id - i);
      continue;
    }
    const members = [...new Set(slice.map((r) => r.member_id))];
    const back = await db(table).where('id', '>=', id).whereIn('member_id', members).orderBy('id').limit(slice.length).select('id');
    if (back.length !== slice.length) throw new Error(`${table}: read back ${back.length} of ${slice.length} inserted ids`);
    for (const r of back as Array<Record<string, unknown>>) ids.push(toInt(r.id));
  }
  return ids;
}

/** Whether each pool's server takes `INSERT … RETURNING`, by knex's config object (its transactions share it). */
const returning = new WeakMap<object, Promise<boolean>>();

/** Asked of the server once per pool; a failed question is asked again next time. */
function returnsIds(db: Knex | Knex.Transaction): Promise<boolean> {
  const key = db.client.config as object;
  let known = returning.get(key);
  if (!known) {
    known = db.raw('select version() as v').then((r: unknown) => takesReturning(String((r as [Array<{ v: unknown }>])[0][0]?.v)));
    returning.set(key, known);
    known.catch(() => returning.delete(key));
  }
  return known;
}

/** MariaDB 10.5 and later answer `INSERT … RETURNING`; MySQL has no such clause. `version` is `SELECT VERSION()`. */
export function takesReturning(version: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+-MariaDB/i.exec(version);
  return m !== null && Number(m[1]) * 1000 + Number(m[2]) >= 10_005;
}

/** `whereIn` over a long list, a slice per query, results concatenated. */
export async function selectIn<T>(values: readonly (string | number)[], query: (slice: (string | number)[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (const slice of slices(values.map((v) => ({ v })), 1)) out.push(...(await query(slice.map((s) => s.v))));
  return out;
}

/**
 * Sets each row's columns on the row with its id, one statement per slice: an UPDATE joined
 * to the values (SQLite `UPDATE … FROM (VALUES …)`, MySQL a derived table). A CASE per
 * column costs rows × rows comparisons, which at a backfill's batch size is seconds.
 */
export async function updateById(db: Knex | Knex.Transaction, table: string, rows: ReadonlyArray<Record<string, unknown> & { id: number }>): Promise<void> {
  const columns = Object.keys(rows[0] ?? {}).filter((c) => c !== 'id');
  if (columns.length === 0) return;
  const mysql = db.client.config.client === 'mysql2';
  for (const slice of slices(rows, columns.length + 1)) {
    if (mysql) {
      const first = `select ${slice[0] ? mysqlLiteral(slice[0].id) : 'NULL'} as id, ${columns.map((c) => `${mysqlLiteral(slice[0]?.[c])} as ${mysqlId(c)}`).join(', ')}`;
      const rest = slice.slice(1).map((r) => `select ${mysqlLiteral(r.id)}, ${columns.map((c) => mysqlLiteral(r[c])).join(', ')}`);
      const derived = [first, ...rest].join(' union all ');
      // The values first, then each row by its primary key: joined the other way round, a small
      // table is scanned and every row of it locked, holding up other transactions' rows.
      await db.raw(`update (${derived}) as v straight_join ${mysqlId(table)} as t on t.id = v.id set ${columns.map((c) => `t.${mysqlId(c)} = v.${mysqlId(c)}`).join(', ')}`);
    } else {
      const values = slice.flatMap((r) => [r.id, ...columns.map((c) => r[c] ?? null)]) as Knex.RawBinding[];
      const row = `(${['?', ...columns.map(() => '?')].join(', ')})`;
      const set = columns.map((_, i) => `?? = v.column${i + 2}`).join(', ');
      await db.raw(`update ?? set ${set} from (values ${slice.map(() => row).join(', ')}) as v where ??.id = v.column1`, [table, ...columns, ...values, table]);
    }
  }
}
