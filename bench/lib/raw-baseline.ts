import mysql from 'mysql2/promise';
import { runLoops, type LoopLimits, type PhaseResult } from './load';
import { connectionOptions } from './mariadb';

/**
 * The baseline: what MariaDB does with the simplest possible durable write, a single-row
 * autocommit INSERT per op, over one connection per worker.
 */
export async function createRawTable(admin: mysql.Connection, database: string): Promise<void> {
  await admin.query(
    `CREATE TABLE \`${database}\`.bench_raw (id BIGINT AUTO_INCREMENT PRIMARY KEY, k VARCHAR(64) NOT NULL, v BIGINT NOT NULL) ENGINE=InnoDB`,
  );
}

export async function rawPhase(url: string, database: string, concurrency: number, durationMs: number, limits: LoopLimits = {}): Promise<PhaseResult> {
  const conns = await Promise.all(Array.from({ length: concurrency }, () => mysql.createConnection(connectionOptions(url, database))));
  try {
    let n = 0;
    // `query`, not `execute`: knex sends text-protocol queries, so both sides pay the same.
    return await runLoops(
      concurrency,
      durationMs,
      async (worker) => {
        const i = n++;
        const conn = conns[worker];
        if (!conn) throw new Error(`no connection for worker ${worker}`);
        await conn.query('INSERT INTO bench_raw (k, v) VALUES (?, ?)', [`w${worker}-${i}`, i]);
      },
      limits,
    );
  } finally {
    await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
  }
}
