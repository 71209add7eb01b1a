import mysql from 'mysql2/promise';
import { runLoops, type LoopLimits, type PhaseResult } from './load';
import { connectionOptions } from './mariadb';

/**
 * The baseline (DESIGN §9 "Ingest"): the minimal ledger transaction an event's effect reduces
 * to — lock the member row, insert a ledger entry, update the balance, commit — done with raw
 * mysql2 over one connection per worker, on members taken round-robin as the plugin's
 * deliveries are. Raw autocommit INSERTs would be no fair baseline: even this bare transaction
 * reaches only about a quarter of their rate.
 */
export async function createBaselineTables(admin: mysql.Connection, database: string, members: number): Promise<void> {
  await admin.query(`CREATE TABLE \`${database}\`.bench_members (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL) ENGINE=InnoDB`);
  await admin.query(
    `CREATE TABLE \`${database}\`.bench_ledger (id BIGINT AUTO_INCREMENT PRIMARY KEY, member_id BIGINT NOT NULL, delta BIGINT NOT NULL,
      balance_after BIGINT NOT NULL, created_at DATETIME(3) NOT NULL, KEY bench_ledger_member (member_id)) ENGINE=InnoDB`,
  );
  const rows = Array.from({ length: members }, (_, i) => [i + 1, 0]);
  await admin.query(`INSERT INTO \`${database}\`.bench_members (id, balance) VALUES ?`, [rows]);
}

export async function baselinePhase(url: string, database: string, concurrency: number, durationMs: number, members: number, limits: LoopLimits = {}): Promise<PhaseResult> {
  const conns = await Promise.all(Array.from({ length: concurrency }, () => mysql.createConnection(connectionOptions(url, database))));
  try {
    let n = 0;
    // `query`, not `execute`: knex sends text-protocol queries, so both sides pay the same.
    return await runLoops(
      concurrency,
      durationMs,
      async (worker) => {
        const id = 1 + (n++ % members);
        const conn = conns[worker];
        if (!conn) throw new Error(`no connection for worker ${worker}`);
        await conn.query('BEGIN');
        try {
          const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT balance FROM bench_members WHERE id = ? FOR UPDATE', [id]);
          const balance = Number(rows[0]?.balance ?? 0) + 120;
          await conn.query('INSERT INTO bench_ledger (member_id, delta, balance_after, created_at) VALUES (?, 120, ?, NOW(3))', [id, balance]);
          await conn.query('UPDATE bench_members SET balance = ? WHERE id = ?', [balance, id]);
          await conn.query('COMMIT');
        } catch (err) {
          await conn.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      },
      limits,
    );
  } finally {
    await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
  }
}
