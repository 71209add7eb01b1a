import { escape, escapeId } from 'mysql2';

/**
 * A value as a MySQL literal, escaped by mysql2 exactly as it binds `?` on this plugin's
 * connections (DATETIME in UTC: `timezone: 'Z'`). For statements too large for placeholder
 * passes (bulk writes of tens of thousands of values). Only scalars, dates and buffers: mysql2
 * would turn an object into `key = value` pairs and an array into a list.
 */
export function mysqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
  if (v instanceof Date && !Number.isFinite(v.getTime())) throw new Error('not a valid date');
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string' || v instanceof Date || Buffer.isBuffer(v)) {
    return escape(v, false, 'Z');
  }
  throw new Error(`no MySQL literal for a ${Object.prototype.toString.call(v)}`);
}

/** One of our own identifiers (a table or column name), backquoted; anything else is refused. */
export function mysqlId(name: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return escapeId(name);
}
