/**
 * Drivers disagree on column types: mysql2 returns BIGINT and SUM() as strings (we ask it to,
 * so nothing is silently rounded), SQLite returns numbers; DATETIME comes back as a Date from
 * MySQL and as epoch milliseconds from SQLite (knex binds Dates as numbers there).
 */
export function toInt(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`Integer column out of safe range: ${String(value)}`);
  return n;
}

export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  if (typeof value === 'string') return new Date(/^\d+$/.test(value) ? Number(value) : value);
  throw new Error(`Not a date: ${String(value)}`);
}

export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}
