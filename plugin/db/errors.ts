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
 * Errors after which the whole transaction can be run again, by engine:
 * - MySQL/MariaDB: deadlock (1213), lock wait timeout (1205: MariaDB rolls back only the
 *   statement, so we roll back explicitly by failing the transaction), MariaDB snapshot
 *   isolation conflict (1020). Galera reports a write conflict with another node as 1213 at
 *   COMMIT (certification failure, or a local transaction aborted by a replicated one).
 * - MySQL Group Replication (InnoDB Cluster, multi-primary): a transaction that fails
 *   certification is rolled back at COMMIT with 3101 (ER_TRANSACTION_ROLLBACK_DURING_COMMIT);
 *   one whose row lock a certified remote write-set takes first gets 1180 with handler error
 *   149 ("Got error 149 - 'Lock deadlock; Retry transaction' during COMMIT").
 * - TiDB: write conflicts of optimistic transactions (8002 with SELECT … FOR UPDATE, 8005,
 *   9007 from TiKV) and 8022 (commit failed and rolled back; safe to run again).
 * - A busy SQLite file.
 */
const RETRYABLE_ERRNOS = new Set([1213, 1205, 1020, 3101, 8002, 8005, 8022, 9007]);

export function isRetryable(err: unknown): boolean {
  const e = err as DriverError;
  if (e?.errno === 1180) return /\berror 149\b|Lock deadlock/i.test((err as Error).message ?? '');
  // SQLITE_BUSY_SNAPSHOT too: in WAL mode a transaction that read before another process's
  // commit can't write, and fails at once rather than waiting (a backfill beside the sidecar).
  return (e?.errno !== undefined && RETRYABLE_ERRNOS.has(e.errno)) || (typeof e?.code === 'string' && e.code.startsWith('SQLITE_BUSY'));
}

/** MySQL/MariaDB errors that mean the server is gone or refuses connections for now. */
const UNAVAILABLE_ERRNOS = new Set([
  1040, // too many connections
  1047, // Galera: WSREP has not yet prepared node for application use (joining, or not in the primary component)
  1053, // server shutdown in progress
  1317, // query interrupted (KILL QUERY)
  1927, // connection killed (MariaDB)
  2002, 2003, 2006, 2013, // can't connect, server gone away, lost connection during query
]);
const UNAVAILABLE_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

/**
 * The database did not do the work but may later: a killed or lost connection, a pool that
 * could not hand out a connection in time (or is closed during shutdown), or lock waits and
 * deadlocks that outlasted every retry of the transaction. Callers answer "try again".
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as DriverError & { name?: string; message?: string };
  if (e === null || typeof e !== 'object') return false;
  if (isRetryable(err)) return true;
  if (e.errno !== undefined && UNAVAILABLE_ERRNOS.has(e.errno)) return true;
  if (e.code !== undefined && UNAVAILABLE_CODES.has(e.code)) return true;
  if (e.name === 'KnexTimeoutError') return true;
  // mysql2 marks a failure of the connection itself fatal (the server went away mid-query, e.g. a
  // cluster node shutting down), and refuses commands on a connection that failed so.
  if ((e as { fatal?: unknown }).fatal === true) return true;
  if (typeof e.message === 'string' && /in closed state$/.test(e.message)) return true;
  // knex after destroy(): the pool is gone (shutdown in progress).
  return typeof e.message === 'string' && e.message.startsWith('Unable to acquire a connection');
}
