import { isDuplicateKey, isRetryable, isUnavailable } from '../../plugin/db/errors';

const err = (errno: number, code = 'ER_X') => Object.assign(new Error(`errno ${errno}`), { errno, code });

/** Which engine errors run the transaction again, which answer 503, and which are real failures. */
describe('database error classification', () => {
  it.each([
    ['MySQL/MariaDB deadlock, and a Galera write conflict with another node at COMMIT', 1213],
    ['lock wait timeout', 1205],
    ['MariaDB snapshot isolation conflict', 1020],
    ['MySQL Group Replication certification failure at COMMIT', 3101],
    ['TiDB optimistic conflict with SELECT … FOR UPDATE', 8002],
    ['TiDB write conflict, txnStartTS is stale', 8005],
    ['TiDB commit failed and rolled back', 8022],
    ['TiDB write conflict in TiKV', 9007],
  ])('retries the whole transaction on %s (%i)', (_what, errno) => {
    expect(isRetryable(err(errno))).toBe(true);
    // Should every retry fail the same way, the caller answers "try again later".
    expect(isUnavailable(err(errno))).toBe(true);
  });

  it('retries a Group Replication COMMIT that lost its row lock to a certified write-set (1180, handler error 149), not other COMMIT errors', () => {
    const lost = Object.assign(new Error("Got error 149 - 'Lock deadlock; Retry transaction' during COMMIT"), { errno: 1180, code: 'ER_ERROR_DURING_COMMIT' });
    expect(isRetryable(lost)).toBe(true);
    const disk = Object.assign(new Error('Got error 28 during COMMIT'), { errno: 1180, code: 'ER_ERROR_DURING_COMMIT' });
    expect(isRetryable(disk)).toBe(false);
  });

  it('retries a busy SQLite file', () => {
    expect(isRetryable(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }))).toBe(true);
  });

  it.each([
    ['a Galera node that is joining or outside the primary component', 1047],
    ['a server shutting down', 1053],
    ['a lost connection', 2013],
  ])('answers 503 without retrying in the transaction on %s (%i)', (_what, errno) => {
    expect(isRetryable(err(errno))).toBe(false);
    expect(isUnavailable(err(errno))).toBe(true);
  });

  it('answers 503 when mysql2 lost the connection itself (fatal), or is asked to use a connection that died', () => {
    expect(isUnavailable(Object.assign(new Error("Can't add new command when connection is in closed state"), { fatal: true }))).toBe(true);
    expect(isUnavailable(new Error("Can't write in closed state"))).toBe(true);
    expect(isRetryable(Object.assign(new Error('Connection lost: The server closed the connection.'), { fatal: true, code: 'PROTOCOL_CONNECTION_LOST' }))).toBe(false);
  });

  it.each([
    ['a duplicate key', 1062],
    ['a syntax error', 1064],
    ['a missing table', 1146],
    ['data too long', 1406],
  ])('neither retries nor hides %s (%i)', (_what, errno) => {
    expect(isRetryable(err(errno))).toBe(false);
    expect(isUnavailable(err(errno))).toBe(false);
  });

  it('tells a duplicate key on either engine', () => {
    expect(isDuplicateKey(err(1062, 'ER_DUP_ENTRY'))).toBe(true);
    expect(isDuplicateKey(Object.assign(new Error('unique'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }))).toBe(true);
    expect(isDuplicateKey(err(1213))).toBe(false);
    expect(isDuplicateKey(null)).toBe(false);
  });
});
