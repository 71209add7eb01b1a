/** Engine error classification, so callers never match driver codes themselves. */
interface DriverError {
  code?: string;
  errno?: number;
}

export function isDuplicateKey(err: unknown): boolean {
  const e = err as DriverError;
  return e?.errno === 1062 || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Errors after which the whole transaction can be run again: deadlock (1213), lock wait
 * timeout (1205: MariaDB rolls back only the statement, so we roll back explicitly by failing
 * the transaction), MariaDB snapshot isolation conflict (1020), and a busy SQLite file.
 */
export function isRetryable(err: unknown): boolean {
  const e = err as DriverError;
  return e?.errno === 1213 || e?.errno === 1205 || e?.errno === 1020 || e?.code === 'SQLITE_BUSY';
}
