/**
 * Backfill benchmark (issue 14, DESIGN §9 "Backfill"): 1,000,000 historical invoices of
 * 100,000 clients imported by `npm run backfill` on MariaDB in ≤ 60 s and ≤ 150 MB RSS, beside
 * raw multi-row INSERTs of the very rows it wrote, in the same run.
 *
 *   npm run bench:backfill
 *
 * Environment:
 *   BENCH_DATABASE_URL  server to use, with a user that may create and drop databases
 *                       (default mysql://root@127.0.0.1:3306/test; only host and credentials are used)
 *   BENCH_SMOKE=1       2,000 invoices of 200 clients, one round: checks the bench end to end, measures nothing
 *   BENCH_STRICT=1      exit non-zero when a target is missed
 *   BENCH_INVOICES=N    another size (clients default to a tenth), e.g. 100000 for a first look
 *   BENCH_ROUNDS=N      rounds (default 3; the full size takes minutes a round)
 *   BENCH_PROFILE=dir   run the CLI under node --cpu-prof into dir and print where its CPU went
 *   BENCH_BUFFER_POOL_MB InnoDB buffer pool for the run (default 2048, as a server for 100k
 *                       members would have; the server's own is restored after; 0 keeps it)
 *
 * Each round: a fresh database, migrated; the compiled CLI, with the node flags of the
 * `backfill` script in package.json (as `npm run backfill` runs it), imports the generated JSON-lines history in its own process, timed from
 * spawn to exit, its peak RSS as it reports it; MariaDB's statement count and CPU around it.
 * Then the baseline: every row the backfill wrote, table by table, copied into a second
 * database with the same tables and indexes by multi-row INSERTs of 2,000 rows, a transaction
 * per INSERT, over one mysql2 connection; only the INSERTs are timed (reading the rows back is
 * not). The ratio is backfill time ÷ baseline time. The median of the rounds is reported. The
 * history is generated once (test/support/history.ts, the tests' generator) into a temp file.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { loadConfig, type PluginConfig } from '../plugin/config';
import { createPlugin } from '../plugin/index';
import { Progress } from '../plugin/lib/progress';
import { createLogger } from '../plugin/logger';
import { historyInvoice } from '../test/support/history';
import { findMysqldPid, snapshot } from './lib/counters';
import { summariseProfile } from './lib/profile';
import { fmt, log, table, warn } from './lib/log';
import { connectionOptions, databaseUrl, isLocal, scalar, serverUrl, sizeBufferPool } from './lib/mariadb';
import { BenchRun } from './lib/run';
import { SECRETS } from './lib/secrets';

const SMOKE = process.env.BENCH_SMOKE === '1';
const STRICT = process.env.BENCH_STRICT === '1';
const BASE_URL = serverUrl();
const DB = 'hr_bench_backfill';
const RAW_DB = 'hr_bench_backfill_raw';
const INVOICES = Number(process.env.BENCH_INVOICES ?? (SMOKE ? 2_000 : 1_000_000));
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? Math.max(1, Math.round(INVOICES / 10)));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (SMOKE ? 1 : 3));
/** A directory for the backfill process's .cpuprofile (node --cpu-prof), summarised after each round. */
const PROFILE_DIR = process.env.BENCH_PROFILE;
const BUFFER_POOL_MB = Number(process.env.BENCH_BUFFER_POOL_MB ?? 2048);
const TARGET_S = 60;
const TARGET_RSS_MB = 150;
const RAW_ROWS_PER_INSERT = 2_000;
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist/plugin/cli/backfill.js');
/** The node flags `npm run backfill` starts the CLI with (none today), so the bench runs what a provider runs. */
const CLI_FLAGS = (() => {
  const script = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.backfill ?? '';
  return script.split(/\s+/).filter((a) => a.startsWith('--'));
})();
/** Every table the backfill writes, parents first (the copy keeps foreign keys satisfied). */
const TABLES = ['loyalty_members', 'loyalty_events', 'loyalty_invoices', 'loyalty_ledger', 'loyalty_lots', 'loyalty_spend_months', 'loyalty_tier_changes', 'loyalty_outbox'];

interface Round {
  seconds: number;
  rssMb: number;
  statements: number;
  mysqldCpu: number;
  rows: number;
  rawSeconds: number;
  rawStatements: number;
  invoices: number;
}

async function writeHistory(file: string): Promise<void> {
  const out = fs.createWriteStream(file);
  const progress = new Progress('history', process.stdout, { unit: 'invoices', rate: true });
  const now = new Date();
  for (let n = 0; n < INVOICES; n++) {
    if (!out.write(`${JSON.stringify(historyInvoice(n, { clients: CLIENTS, invoices: INVOICES, days: 900, seed: 42, now, tag: 'bench' }))}\n`)) {
      await new Promise<void>((r) => out.once('drain', () => r()));
    }
    if (n % 50_000 === 0) progress.update(n, INVOICES);
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  progress.update(INVOICES, INVOICES);
  progress.finish();
}

async function migrate(url: string): Promise<void> {
  const config: PluginConfig = { ...loadConfig({}), databaseUrl: url, panel: 'generic', eventSource: 'bench', logLevel: 'silent', dbPoolMax: 2 };
  const plugin = createPlugin({ config, secrets: SECRETS, logger: createLogger('silent'), migrate: true });
  try {
    await plugin.db.migrateLatest();
  } finally {
    await plugin.shutdown();
  }
}

/** The CLI in its own process, as a provider runs it; resolves with its output. */
function runCli(file: string, url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const flags = [...CLI_FLAGS, ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])];
    const child = spawn(process.execPath, [...flags, CLI, '--file', file], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url, PANEL: 'generic', EVENT_SOURCE: 'bench', WEBHOOK_SECRET: SECRETS.webhook, SSO_SECRET: SECRETS.sso, SESSION_SECRET: SECRETS.session, LOG_LEVEL: 'warn' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      const text = c.toString();
      stdout += text;
      // Its progress lines, passed through so a long run shows it is alive.
      process.stdout.write(text.split('\n').filter((l) => l.startsWith('backfill:') && !l.includes('done')).map((l) => `  ${l}\n`).join(''));
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Copies every row the backfill wrote into RAW_DB by multi-row INSERTs; returns the seconds spent in them. */
async function rawBaseline(admin: mysql.Connection): Promise<{ seconds: number; statements: number; byTable: Array<[string, number, number]> }> {
  await admin.query(`DROP DATABASE IF EXISTS \`${RAW_DB}\``);
  await admin.query(`CREATE DATABASE \`${RAW_DB}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const reader = await mysql.createConnection(connectionOptions(BASE_URL, DB));
  const writer = await mysql.createConnection(connectionOptions(BASE_URL, RAW_DB));
  let ms = 0;
  let statements = 0;
  const byTable: Array<[string, number, number]> = [];
  try {
    for (const t of TABLES) {
      const tableStarted = ms;
      let tableRows = 0;
      // Same columns and indexes; the backfill's foreign keys are left out, as a bulk load would.
      await writer.query(`CREATE TABLE \`${t}\` LIKE \`${DB}\`.\`${t}\``);
      const [cols] = await reader.query<mysql.RowDataPacket[]>(
        `SELECT COLUMN_NAME AS c, GENERATION_EXPRESSION AS g FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        [DB, t],
      );
      const columns = cols.filter((c) => !c.g).map((c) => String(c.c));
      const key = columns.includes('id') ? 'id' : null;
      let offset = 0;
      let after = 0;
      for (;;) {
        const list = columns.map((c) => `\`${c}\``).join(', ');
        const [rows] = await reader.query<mysql.RowDataPacket[]>(
          key ? `SELECT ${list} FROM \`${t}\` WHERE id > ? ORDER BY id LIMIT ${RAW_ROWS_PER_INSERT}` : `SELECT ${list} FROM \`${t}\` LIMIT ${RAW_ROWS_PER_INSERT} OFFSET ${offset}`,
          key ? [after] : [],
        );
        if (rows.length === 0) break;
        const values = rows.map((r) => columns.map((c) => r[c]));
        const started = performance.now();
        await writer.query(`INSERT INTO \`${t}\` (${list}) VALUES ?`, [values]);
        ms += performance.now() - started;
        statements++;
        offset += rows.length;
        tableRows += rows.length;
        after = key ? Number(rows[rows.length - 1]?.id) : 0;
      }
      byTable.push([t, tableRows, (ms - tableStarted) / 1000]);
    }
  } finally {
    await reader.end();
    await writer.end();
    await admin.query(`DROP DATABASE IF EXISTS \`${RAW_DB}\``);
  }
  return { seconds: ms / 1000, statements, byTable };
}

async function round(admin: mysql.Connection, run: BenchRun, file: string, mysqld: number | undefined): Promise<Round> {
  await run.freshDatabase(admin, DB);
  await migrate(databaseUrl(BASE_URL, DB));
  const before = await snapshot(admin, { mysqld });
  const started = performance.now();
  const result = await runCli(file, databaseUrl(BASE_URL, DB));
  const seconds = (performance.now() - started) / 1000;
  const after = await snapshot(admin, { mysqld });
  if (result.code !== 0) throw new Error(`backfill exited ${result.code}: ${result.stderr.trim()}`);
  log(result.stdout.split('\n').filter((l) => l.startsWith('backfill: done') || l.startsWith('  ')).join('\n'));
  if (PROFILE_DIR) {
    log(summariseProfile(PROFILE_DIR, ROOT));
    for (const f of fs.readdirSync(PROFILE_DIR)) if (f.endsWith('.cpuprofile')) fs.renameSync(path.join(PROFILE_DIR, f), path.join(PROFILE_DIR, `${f}.done`));
  }
  const rss = /peak RSS (\d+) MB/.exec(result.stdout);
  await admin.query(`USE \`${DB}\``);
  const invoices = await scalar(admin, 'SELECT COUNT(*) FROM loyalty_invoices');
  let rows = 0;
  for (const t of TABLES) rows += await scalar(admin, `SELECT COUNT(*) FROM \`${t}\``);
  const cached = await scalar(admin, 'SELECT SUM(points_available + points_pending) FROM loyalty_members');
  const ledger = await scalar(admin, 'SELECT SUM(delta) FROM loyalty_ledger');
  const lots = await scalar(admin, 'SELECT SUM(remaining) FROM loyalty_lots');
  if (invoices !== INVOICES) throw new Error(`imported ${invoices} invoices of ${INVOICES}`);
  if (cached !== ledger || ledger !== lots) throw new Error(`balances disagree: members ${cached}, ledger ${ledger}, lots ${lots}`);
  const raw = await rawBaseline(admin);
  log(table(['table', 'rows', 'raw INSERT s'], raw.byTable.map(([t, r, sec]) => [t, r.toLocaleString('en'), fmt(sec, 2)])));
  return {
    seconds,
    rssMb: rss ? Number(rss[1]) : NaN,
    // Less the two SHOW STATUS of the snapshots themselves.
    statements: after.status.Questions - before.status.Questions - 1,
    mysqldCpu: after.cpu.mysqld - before.cpu.mysqld,
    rows,
    rawSeconds: raw.seconds,
    rawStatements: raw.statements,
    invoices,
  };
}

async function main(): Promise<void> {
  const run = new BenchRun({ watchdogMs: SMOKE ? 300_000 : 60 * 60_000, serverGraceMs: 0, keepTmpDir: false });
  let failed = false;
  let restorePool: (() => Promise<void>) | undefined;
  try {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm run bench:backfill builds it first (npm run build)`);
    run.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-bench-backfill-'));
    const admin = await mysql.createConnection({ ...connectionOptions(BASE_URL), multipleStatements: false });
    run.admin = admin;
    restorePool = await sizeBufferPool(admin, SMOKE ? 0 : BUFFER_POOL_MB, log);
    const file = path.join(run.tmpDir, 'history.jsonl');
    log(`generating ${INVOICES.toLocaleString('en')} invoices of ${CLIENTS.toLocaleString('en')} clients${SMOKE ? ' (smoke)' : ''}`);
    await writeHistory(file);
    log(`history: ${fmt(fs.statSync(file).size / 1e6)} MB`);
    const mysqld = findMysqldPid(isLocal(BASE_URL));
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      log(`round ${i + 1} of ${ROUNDS}`);
      rounds.push(await round(admin, run, file, mysqld));
    }
    const sorted = [...rounds].sort((a, b) => a.seconds - b.seconds);
    const m = sorted[Math.floor(sorted.length / 2)] as Round;
    const header = ['invoices', 'rows', 'backfill s', 'rounds s', 'invoices/s', 'rows/s', 'stmts/invoice', 'peak RSS MB', 'mariadbd CPU s', 'raw INSERT s', 'raw rows/s', 'ratio'];
    log('');
    log(
      table(header, [
        [
          m.invoices.toLocaleString('en'),
          m.rows.toLocaleString('en'),
          fmt(m.seconds, 1),
          rounds.map((r) => fmt(r.seconds, 1)).join(' / '),
          fmt(m.invoices / m.seconds),
          fmt(m.rows / m.seconds),
          fmt(m.statements / m.invoices, 3),
          fmt(m.rssMb),
          fmt(m.mysqldCpu, 1),
          fmt(m.rawSeconds, 1),
          fmt(m.rows / m.rawSeconds),
          `${fmt(m.seconds / m.rawSeconds, 2)}×`,
        ],
      ]),
    );
    log('');
    const timeOk = m.seconds <= TARGET_S;
    const rssOk = m.rssMb <= TARGET_RSS_MB;
    log(`raw INSERTs of the same ${m.rows.toLocaleString('en')} rows: ${fmt(m.rawSeconds, 1)} s in ${m.rawStatements} statements; the backfill took ${fmt(m.seconds / m.rawSeconds, 2)}× as long`);
    log(`target time: ${fmt(m.seconds, 1)} s for ${m.invoices.toLocaleString('en')} invoices, ≤ ${TARGET_S} s: ${timeOk ? 'PASS' : 'FAIL'}`);
    log(`target RSS: ${fmt(m.rssMb)} MB peak, ≤ ${TARGET_RSS_MB} MB: ${rssOk ? 'PASS' : 'FAIL'}`);
    if (INVOICES !== 1_000_000) log(`(targets are for 1,000,000 invoices; this run had ${INVOICES.toLocaleString('en')})`);
    log(`node flags: ${CLI_FLAGS.join(' ') || '(none)'}; the machine's other load shows in wall-clock time, less in the ratio`);
    const missed = !timeOk || !rssOk;
    if (SMOKE) log('smoke run: counts and balances checked; the times mean nothing at this size');
    else if (missed) warn('a target was missed');
    if (missed && STRICT && !SMOKE) failed = true;
  } catch (err) {
    warn(`failed: ${(err as Error).stack ?? String(err)}`);
    failed = true;
  } finally {
    await restorePool?.().catch((err: Error) => warn(`could not restore the buffer pool: ${err.message}`));
    await run.cleanup();
    run.done();
  }
  process.exit(failed ? 1 : 0);
}

void main();
