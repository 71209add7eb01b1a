/**
 * Rewards tab benchmark (DESIGN §9 "Rewards tab", issue 14): one member with 10,000 ledger rows
 * and lots in a 1,000,000-row ledger on MariaDB, viewed through the sidecar with a real session.
 *
 *   npm run bench:tab
 *
 * - Open loop: 100 views/s offered for a fixed time, each on schedule whatever the answers do;
 *   p50/p99 latency (target p99 ≤ 25 ms).
 * - Closed loop at 32 connections: views/s, as a ratio of the same page rendered from data read
 *   once with the same templates and helpers (bench/lib/constant-tab-server.ts), three rounds
 *   of the pair with the median ratio (target ≥ 0.5).
 * - Statements and server CPU per view, server RSS (target ≤ 150 MB), and EXPLAIN of every
 *   statement one view sends (from MariaDB's general log): no full scans.
 *
 * Environment: BENCH_DATABASE_URL (default mysql://root@127.0.0.1:3306/test), BENCH_SMOKE=1 (a
 * small table and short phases: checks the bench end to end), BENCH_STRICT=1 (exit non-zero
 * when a target is missed), BENCH_PROFILE=1 (run the sidecar with --cpu-prof and print where its
 * CPU time went; the .cpuprofile stays in the temp directory printed), BENCH_SERVER=dist (run
 * the compiled sidecar, dist/plugin/server.js after `npm run build`, instead of the sources
 * through tsx, which adds ~35 MB of RSS: what production runs, so what the RSS target is about). The database `hr_bench_tab` is dropped at the start and the end.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import mysql from 'mysql2/promise';
import { DETAIL_HEADER, detailRow, findMysqldPid, measure, procStatusKb, type Measured } from './lib/counters';
import { fmt, log, table, warn } from './lib/log';
import { summariseProfile } from './lib/profile';
import { openLoop, opsPerSecond, percentile, REQUEST_TIMEOUT_MS, runLoops, type PhaseResult } from './lib/load';
import { connectionOptions, databaseUrl, isLocal, scalar, serverUrl } from './lib/mariadb';
import { BenchRun } from './lib/run';
import { startBaselineServer, startServer, type Server } from './lib/server';
import { SECRETS } from './lib/secrets';

const ROOT = path.resolve(__dirname, '..');
const SMOKE = process.env.BENCH_SMOKE === '1';
const STRICT = process.env.BENCH_STRICT === '1';
const PROFILE = process.env.BENCH_PROFILE === '1';
const BASE_URL = serverUrl();
const DB = 'hr_bench_tab';
const MEMBERS = SMOKE ? 1_000 : 100_000;
const LEDGER_ROWS = SMOKE ? 20_000 : 1_000_000;
/** The member viewed: panel client id "1", member id 1. */
const VIEWED_ROWS = SMOKE ? 2_000 : 10_000;
const CHUNK = 50_000;
const OPEN_RATE = 100;
const OPEN_MS = SMOKE ? 1_000 : 10_000;
const CLOSED_CONCURRENCY = 32;
const CLOSED_MS = SMOKE ? 1_000 : 5_000;
const ROUNDS = SMOKE ? 1 : 3;
const TARGETS = { p99Ms: 25, ratio: 0.5, rssMb: 150 };
const DAY = 86_400_000;

const at = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/**
 * Members 1..N, each with earn rows (member 1 has VIEWED_ROWS of them, the rest share the
 * table) and one lot per earn, so balances, ledger and lots agree. Member 1's lots expire over
 * the next 400 days, and a tenth of them are still pending.
 */
async function seed(admin: mysql.Connection, now: Date): Promise<void> {
  await admin.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
  const earned = at(new Date(now.getTime() - 30 * DAY));
  // Row s: member 1 for s ≤ VIEWED_ROWS, else one of members 2..N round-robin.
  const member = `IF(seq <= ${VIEWED_ROWS}, 1, 2 + MOD(seq - ${VIEWED_ROWS} - 1, ${MEMBERS - 1}))`;
  const pending = `(seq <= ${VIEWED_ROWS} AND MOD(seq, 10) = 0)`;
  const chunks = async (total: number, sql: (a: number, b: number) => string) => {
    for (let a = 1; a <= total; a += CHUNK) await admin.query(sql(a, Math.min(total, a + CHUNK - 1)));
  };
  await chunks(
    MEMBERS,
    (a, b) => `INSERT INTO loyalty_members (id, panel_client_id, referral_code, points_available, points_pending, points_lifetime, status, locale, joined_at, updated_at)
      SELECT seq, seq, CONCAT('T', LPAD(seq, 12, '0')), 0, 0, 0, 'active', 'en', '${earned}', '${earned}' FROM seq_${a}_to_${b}`,
  );
  await chunks(
    LEDGER_ROWS,
    // As the base rate writes an invoice's points: its reason and params, which the history
    // translates and formats.
    (a, b) => `INSERT INTO loyalty_ledger (id, member_id, delta, kind, reason_code, reason_params, rule, actor, balance_after, created_at)
      SELECT seq, ${member}, 10, 'earn', 'invoice_paid', CONCAT('{"invoice":"', seq, '","amount":"10.00","currency":"USD","rate":"1"}'), 'base_rate', 'system', 0,
        '${earned}' + INTERVAL seq SECOND FROM seq_${a}_to_${b}`,
  );
  await chunks(
    LEDGER_ROWS,
    (a, b) => `INSERT INTO loyalty_lots (id, member_id, ledger_id, points, remaining, pending, earned_at, available_at, expires_at)
      SELECT seq, ${member}, seq, 10, 10, ${pending}, '${earned}',
        IF(${pending}, '${at(new Date(now.getTime() + 5 * DAY))}', '${earned}'),
        '${at(now)}' + INTERVAL (1 + MOD(seq, 400)) DAY FROM seq_${a}_to_${b}`,
  );
  // Paid invoices and monthly spend, as tier progress and "saved this year" read them: member 1
  // has 500 invoices over the last year, every other member one.
  const invoices = MEMBERS - 1 + 500;
  await chunks(
    invoices,
    (a, b) => `INSERT INTO loyalty_invoices (member_id, invoice_id, currency, total_minor, qualifying_minor, earned_points, paid_at, updated_at)
      SELECT IF(seq <= 500, 1, seq - 499), CONCAT('INV-', seq), 'USD', 2500, 2500, 25, '${at(now)}' - INTERVAL MOD(seq, 360) DAY, '${earned}' FROM seq_${a}_to_${b}`,
  );
  await admin.query(
    `INSERT INTO loyalty_spend_months (member_id, month, amount_minor)
      SELECT member_id, DATE_FORMAT(paid_at, '%Y-%m'), SUM(qualifying_minor) FROM loyalty_invoices GROUP BY member_id, DATE_FORMAT(paid_at, '%Y-%m')`,
  );
  await admin.query(
    `UPDATE loyalty_members m JOIN (SELECT member_id, SUM(IF(pending, 0, remaining)) AS a, SUM(IF(pending, remaining, 0)) AS p FROM loyalty_lots GROUP BY member_id) l
       ON l.member_id = m.id SET m.points_available = l.a, m.points_pending = l.p, m.points_lifetime = l.a + l.p`,
  );
  await admin.query('ANALYZE TABLE loyalty_members, loyalty_ledger, loyalty_lots, loyalty_invoices, loyalty_spend_months');
}

async function sessionCookie(port: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('1')
    .setAudience('hosting-rewards')
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .setJti(`bench-${now}-${Math.random()}`)
    .sign(new TextEncoder().encode(SECRETS.sso));
  const res = await get(new http.Agent(), port, `/sso?token=${encodeURIComponent(token)}`, '');
  const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('hr_session='));
  if (res.status !== 303 || !cookie) throw new Error(`sign-in failed: HTTP ${res.status}`);
  return cookie.split(';')[0] ?? '';
}

function get(agent: http.Agent, port: number, urlPath: string, cookie: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent, headers: cookie ? { cookie } : {}, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
  });
}

async function view(agent: http.Agent, port: number, cookie: string): Promise<void> {
  const res = await get(agent, port, '/client/rewards', cookie);
  if (res.status !== 200 || res.bytes < 1000) throw new Error(`HTTP ${res.status}, ${res.bytes} bytes`);
}

async function closedLoop(port: number, cookie: string): Promise<PhaseResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLOSED_CONCURRENCY });
  try {
    return await runLoops(CLOSED_CONCURRENCY, CLOSED_MS, () => view(agent, port, cookie), SMOKE ? { maxOps: 50 } : {});
  } finally {
    agent.destroy();
  }
}

/** The constant-data baseline as a child process (the same isolation the sidecar has). */
function startBaseline(dbUrl: string, port: number, onSpawn: (stop: () => void) => void): Promise<{ pid: number | undefined; stop: () => void }> {
  const env = {
    PANEL: 'generic', DATABASE_URL: dbUrl, CLIENT_ID: '1', PORT: String(port), DATA_DIR: os.tmpdir(),
    WEBHOOK_SECRET: SECRETS.webhook, SSO_SECRET: SECRETS.sso, SESSION_SECRET: SECRETS.session, LOG_LEVEL: 'silent',
  };
  return startBaselineServer(ROOT, 'constant-tab-server.ts', env, onSpawn);
}

/** Every statement one view sends, from the general log, each with its EXPLAIN rows. */
async function explainOneView(admin: mysql.Connection, port: number, cookie: string): Promise<{ statements: string[]; plans: string[][]; fullScans: number }> {
  await admin.query("SET GLOBAL log_output = 'TABLE'");
  await admin.query('TRUNCATE TABLE mysql.general_log');
  await admin.query('SET GLOBAL general_log = 1');
  try {
    await view(new http.Agent(), port, cookie);
  } finally {
    await admin.query('SET GLOBAL general_log = 0');
  }
  // The log is the whole server's: on a shared MariaDB, other clients' statements are in it
  // too. The sidecar's pooled connections are the ones on this bench's database.
  const [threads] = await admin.query<mysql.RowDataPacket[]>('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [DB]);
  const ids = threads.map((t) => Number(t.id));
  const [rows] = await admin.query<mysql.RowDataPacket[]>(
    "SELECT CONVERT(argument USING utf8mb4) AS q FROM mysql.general_log WHERE command_type IN ('Query', 'Execute') AND CONVERT(argument USING utf8mb4) NOT LIKE 'SET %' AND thread_id IN (?) ORDER BY event_time",
    [ids.length > 0 ? ids : [0]],
  );
  const statements = rows.map((r) => String(r.q)).filter((q) => !/general_log/.test(q));
  const plans: string[][] = [];
  let fullScans = 0;
  for (const q of statements.filter((s) => /^\s*select/i.test(s))) {
    const [explained] = await admin.query<mysql.RowDataPacket[]>(`EXPLAIN ${q}`);
    for (const p of explained) {
      if (p.type === 'ALL' && p.table && !String(p.table).startsWith('<')) fullScans++;
      plans.push([String(p.table ?? ''), String(p.type ?? ''), String(p.key ?? ''), String(p.rows ?? ''), String(p.Extra ?? '').slice(0, 60), q.replace(/\s+/g, ' ').slice(0, 90)]);
    }
  }
  return { statements, plans, fullScans };
}

async function main(): Promise<number> {
  const run = new BenchRun({ watchdogMs: 20 * 60_000, serverGraceMs: PROFILE ? 15_000 : 3_000, keepTmpDir: PROFILE });
  run.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-bench-tab-'));
  let baseline: { pid: number | undefined; stop: () => void } | undefined;
  try {
    const admin = await mysql.createConnection(connectionOptions(BASE_URL));
    run.admin = admin;
    await run.freshDatabase(admin, DB);
    const dbUrl = databaseUrl(BASE_URL, DB);
    log(`tab bench${SMOKE ? ' (SMOKE: numbers mean nothing)' : ''}: ${os.cpus().length} cores, load average ${fmt(os.loadavg()[0] ?? NaN, 2)}, sidecar from ${process.env.BENCH_SERVER === 'dist' ? 'dist/' : 'sources (tsx)'}`);

    // The sidecar migrates the empty database; seeding follows, then a restart reads it cold.
    const started: Server = await startServer({ root: ROOT, databaseUrl: dbUrl, dataDir: path.join(run.tmpDir, 'data'), secrets: SECRETS, dist: process.env.BENCH_SERVER === 'dist', ...(PROFILE && { profileDir: path.join(run.tmpDir, 'profile') }) }, (s) => (run.server = s));
    await admin.query(`USE \`${DB}\``);
    log(`seeding ${MEMBERS.toLocaleString('en')} members, ${LEDGER_ROWS.toLocaleString('en')} ledger rows and lots (member 1: ${VIEWED_ROWS.toLocaleString('en')})`);
    await seed(admin, new Date());
    const server = started;
    const cookie = await sessionCookie(server.port);
    const mysqld = findMysqldPid(isLocal(BASE_URL));
    const pids = () => ({ server: server.child.pid, mysqld });

    // The statements of a view in steady state: the first view after start also fills the
    // program and tier caches (a read of each small table, once per process and per admin edit).
    await view(new http.Agent(), server.port, cookie);
    const explained = await explainOneView(admin, server.port, cookie);
    const writes = explained.statements.filter((q) => /^\s*(insert|update|delete|begin|start transaction)|for update/i.test(q));

    // Warm the JIT and the buffer pool.
    await closedLoop(server.port, cookie);

    const openAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const open = await openLoop(OPEN_RATE, OPEN_MS, () => view(openAgent, server.port, cookie)).finally(() => openAgent.destroy());
    const latencies = open.latencies;
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);

    const basePort = server.port + 1 + Math.floor(Math.random() * 1000);
    baseline = await startBaseline(dbUrl, basePort, (stop) => run.onCleanup(stop));
    const rounds: Array<{ plugin: Measured; constant: Measured; ratio: number }> = [];
    for (let i = 0; i < ROUNDS; i++) {
      const constant = await measure(admin, { server: baseline.pid, mysqld }, () => closedLoop(basePort, ''));
      const plugin = await measure(admin, pids(), () => closedLoop(server.port, cookie));
      rounds.push({ plugin, constant, ratio: opsPerSecond(plugin.result) / opsPerSecond(constant.result) });
    }
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!;
    const rssMb = procStatusKb(server.child.pid, 'VmRSS') / 1024;
    const hwmMb = procStatusKb(server.child.pid, 'VmHWM') / 1024;
    const perView = (m: Measured) => ({
      statements: (m.after.status.Questions - m.before.status.Questions - 1) / Math.max(1, m.result.ok),
      cpuUs: ((m.after.cpu.server - m.before.cpu.server) * 1e6) / Math.max(1, m.result.ok),
    });

    log('');
    log(table(['measure', 'value', 'target', ''], [
      ['open loop: views/s offered', String(OPEN_RATE), '', ''],
      ['open loop: p50 ms', fmt(p50, 1), '', ''],
      ['open loop: p99 ms', fmt(p99, 1), `<= ${TARGETS.p99Ms}`, p99 <= TARGETS.p99Ms ? 'ok' : 'MISSED'],
      ['open loop: failed', String(open.failed), '0', open.failed === 0 ? 'ok' : 'MISSED'],
      [`closed loop c=${CLOSED_CONCURRENCY}: plugin views/s`, fmt(opsPerSecond(median.plugin.result)), '', ''],
      [`closed loop c=${CLOSED_CONCURRENCY}: constant-data views/s`, fmt(opsPerSecond(median.constant.result)), '', ''],
      [`ratio (median of ${ROUNDS}: ${rounds.map((r) => fmt(r.ratio, 2)).join(' / ')})`, fmt(median.ratio, 2), `>= ${TARGETS.ratio}`, median.ratio >= TARGETS.ratio ? 'ok' : 'MISSED'],
      ['statements per view', fmt(perView(median.plugin).statements, 1), '', ''],
      ['server CPU µs per view', fmt(perView(median.plugin).cpuUs), '', ''],
      ['writes or locks in a view', String(writes.length), '0', writes.length === 0 ? 'ok' : 'MISSED'],
      ['full scans in a view', String(explained.fullScans), '0', explained.fullScans === 0 ? 'ok' : 'MISSED'],
      ['server RSS MB (peak)', `${fmt(rssMb, 1)} (${fmt(hwmMb, 1)})`, `<= ${TARGETS.rssMb}`, hwmMb <= TARGETS.rssMb ? 'ok' : 'MISSED'],
    ]));
    log('');
    log('per round (server = the sidecar, or the constant-data server; "other CPU" is the rest of the machine):');
    log(table(DETAIL_HEADER, rounds.flatMap((r, i) => [detailRow(`${i + 1} constant`, CLOSED_CONCURRENCY, r.constant), detailRow(`${i + 1} plugin`, CLOSED_CONCURRENCY, r.plugin)])));
    log('');
    log(`EXPLAIN of the ${explained.statements.length} statements one view sends:`);
    log(table(['table', 'type', 'key', 'rows', 'extra', 'statement'], explained.plans));
    const missed = p99 > TARGETS.p99Ms || median.ratio < TARGETS.ratio || writes.length > 0 || explained.fullScans > 0 || hwmMb > TARGETS.rssMb || open.failed > 0;
    if (missed) warn('a target was missed');
    const balances = await scalar(admin, 'SELECT COUNT(*) FROM loyalty_members m WHERE m.points_available + m.points_pending <> (SELECT COALESCE(SUM(remaining), 0) FROM loyalty_lots l WHERE l.member_id = m.id) AND m.id <= 10');
    if (balances !== 0) throw new Error('seeded balances disagree with the lots');
    return missed && STRICT && !SMOKE ? 1 : 0;
  } catch (err) {
    warn(`failed: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    baseline?.stop();
    await run.cleanup();
    if (PROFILE && run.tmpDir) log(summariseProfile(path.join(run.tmpDir, 'profile'), ROOT));
    run.done();
  }
}

main().then((code) => process.exit(code));
