import mysql from 'mysql2/promise';

/**
 * The server a bench runs against; only its host (or `?socket=`, as DATABASE_URL takes it) and
 * credentials are used. With a socket, the baselines and the sidecar all go through it.
 */
export function serverUrl(): string {
  return process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
}

function parsed(url: string): URL {
  return new URL(url.replace(/^mariadb:/, 'mysql:'));
}

export function connectionOptions(url: string, database?: string): mysql.ConnectionOptions {
  const u = parsed(url);
  const socket = u.searchParams.get('socket');
  return {
    ...(socket ? { socketPath: socket } : { host: u.hostname, port: u.port ? Number(u.port) : 3306 }),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database,
    // The same settings the plugin uses (plugin/db/connection.ts), so the baseline pays for them too.
    charset: 'utf8mb4',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
}

/** The same server, another database: what the sidecar under test is given as DATABASE_URL. */
export function databaseUrl(url: string, database: string): string {
  const u = parsed(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function isLocal(url: string): boolean {
  return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed(url).hostname);
}

export async function recreateDatabase(admin: mysql.Connection, name: string): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
}

/** The first column of the first row, as a number. */
export async function scalar(admin: mysql.Connection, sql: string): Promise<number> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(sql);
  return Number(Object.values(rows[0] ?? {})[0] ?? NaN);
}

/**
 * Sizes InnoDB's buffer pool for a run (`SET GLOBAL`, MariaDB ≥ 10.2 resizes it live), as a
 * server holding that many members would be sized; returns what puts the server's own back.
 * 0 leaves it as it is. The log line says both, so a reader sees what the figures were taken with.
 */
export async function sizeBufferPool(admin: mysql.Connection, mb: number, log: (line: string) => void): Promise<() => Promise<void>> {
  const before = await scalar(admin, 'SELECT @@innodb_buffer_pool_size');
  if (mb > 0) await admin.query(`SET GLOBAL innodb_buffer_pool_size = ${Math.round(mb) * 1024 * 1024}`);
  log(`InnoDB buffer pool ${Math.round((await scalar(admin, 'SELECT @@innodb_buffer_pool_size')) / 1048576)} MB (the server's: ${Math.round(before / 1048576)} MB)`);
  return async () => {
    if (mb > 0) await admin.query(`SET GLOBAL innodb_buffer_pool_size = ${before}`);
  };
}
