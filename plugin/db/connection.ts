import fs from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';

export type Dialect = 'sqlite' | 'mysql';

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) return 'mysql';
  throw new Error(`Unsupported DATABASE_URL scheme in "${url.split(':')[0]}:"; use sqlite:<file> or mysql://…`);
}

/**
 * Builds the knex instance for either engine. The settings here are the ones DESIGN §10 calls
 * out: UTC everywhere, utf8mb4, BIGINT as strings (repositories convert), WAL on SQLite.
 */
export function createKnex(url: string, options: { poolMax?: number } = {}): Knex {
  const dialect = dialectOf(url);
  if (dialect === 'sqlite') {
    const filename = url.slice('sqlite:'.length);
    if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    return knex({
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      // better-sqlite3 is synchronous: one connection serialises transactions, which is what
      // SQLite does anyway, and keeps BEGIN IMMEDIATE semantics simple.
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        },
      },
    });
  }
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  return knex({
    client: 'mysql2',
    connection: {
      ...serverAddress(u),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: u.pathname.replace(/^\//, ''),
      timezone: 'Z',
      charset: 'utf8mb4',
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: false,
    },
    pool: {
      min: 0,
      max: options.poolMax ?? 20,
      afterCreate(
        conn: { query(sql: string, cb: (err: Error | null) => void): void },
        done: (err: Error | null, conn: unknown) => void,
      ) {
        // READ COMMITTED: under REPEATABLE READ a locking read of a client who is not a member
        // yet takes a gap lock, and concurrent enrolments of *different* clients deadlock on
        // each other's inserts (measured: thousands of deadlocks enrolling 1000 clients at
        // c=32). Balances rely on row locks (FOR UPDATE) and unique keys, which RC keeps.
        conn.query("SET time_zone = '+00:00'", (err) => {
          if (err) return done(err, conn);
          conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (err2) => done(err2, conn));
        });
      },
    },
  });
}

/**
 * Where the MySQL server is: `host:port`, or the Unix socket a `?socket=/path` names: many
 * panels' MySQL runs on the same host and listens only there, and a statement then skips the
 * TCP stack (here 56 against 63 µs a round trip, quiet machine), a dozen per webhook. Any
 * other query parameter is refused rather than silently ignored.
 */
function serverAddress(u: URL): { host: string; port: number } | { socketPath: string } {
  for (const name of u.searchParams.keys()) {
    if (name !== 'socket') throw new Error(`DATABASE_URL has an unknown parameter "${name}"; the only one is ?socket=/path/to/mysqld.sock`);
  }
  const socket = u.searchParams.get('socket');
  if (socket === null) return { host: u.hostname, port: u.port ? Number(u.port) : 3306 };
  if (!socket.startsWith('/')) throw new Error(`DATABASE_URL ?socket= must be an absolute path to the server's Unix socket, got "${socket}"`);
  return { socketPath: socket };
}
