/**
 * Ingest benchmark (DESIGN §9 "Ingest"): signed `invoice.paid` webhooks committed per second,
 * as a ratio of raw single-row autocommit INSERTs into the same MariaDB, both measured in this
 * one run so the ratio doesn't depend on the machine.
 *
 *   npm run bench:ingest
 *
 * Environment:
 *   BENCH_DATABASE_URL  server to use, with a user that may create and drop databases
 *                       (default mysql://root@127.0.0.1:3306/test; only host and credentials are used)
 *   BENCH_PHASE_MS      measured time per phase (default 5000, clamped to 1000–10000)
 *   BENCH_SERVER=dist   run the compiled sidecar (dist/plugin/server.js; `npm run build` first)
 *                       instead of the sources through tsx, which adds ~50 MB of RSS
 *   BENCH_PROFILE=1     run the sidecar with --cpu-prof and print where its CPU time went (the
 *                       .cpuprofile is kept in the temp directory whose path is printed)
 *   BENCH_STRICT=1      also exit non-zero when a ratio is below the target
 *
 * The sidecar runs as a child process: on a 2-core machine shared with MariaDB, a client in the
 * server's event loop would steal its time and make the plugin look slower than it is.
 * The bench databases (`hr_bench`, `hr_bench_raw`) are dropped and recreated at the start, and
 * dropped at the end.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { Webhook } from 'standardwebhooks';

const ROOT = path.resolve(__dirname, '..');
const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
const PHASE_MS = Math.min(10_000, Math.max(1_000, Number(process.env.BENCH_PHASE_MS ?? 5_000) || 5_000));
const PROFILE = process.env.BENCH_PROFILE === '1';
const STRICT = process.env.BENCH_STRICT === '1';

const CONCURRENCIES = [1, 32] as const;
const TARGET_RATIO = 0.5;
/** Enough distinct members that 32 concurrent events rarely wait on the same row lock. */
const CLIENTS = 1000;
const PLUGIN_DB = 'hr_bench';
const RAW_DB = 'hr_bench_raw';
/** The whole run must end well inside two minutes, whatever hangs. */
const WATCHDOG_MS = 115_000;
const STARTUP_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** A dead server fails every request at once; stop the phase instead of counting thousands. */
const MAX_FAILURES_PER_PHASE = 100;

const WEBHOOK_SECRET = `whsec_${Buffer.from('bench-webhook-secret-0123456789abcdef').toString('base64')}`;
const SSO_SECRET = 'bench-sso-secret-0123456789abcdef0123456789';
const SESSION_SECRET = 'bench-session-secret-0123456789abcdef012345';

// ---------------------------------------------------------------------------------------------
// Resources, and one idempotent cleanup for every way the run can end.

interface Server {
  child: ChildProcess;
  port: number;
  /** The last lines the server printed, shown when something goes wrong. */
  tail: string[];
  exited: Promise<number | null>;
}

const state: {
  admin?: mysql.Connection;
  server?: Server;
  databases: string[];
  tmpDir?: string;
  agents: http.Agent[];
} = { databases: [], agents: [] };

function serverAlive(): boolean {
  const child = state.server?.child;
  return !!child && child.exitCode === null && child.signalCode === null;
}

async function stopServer(graceMs: number): Promise<void> {
  const server = state.server;
  if (!server || !serverAlive()) return;
  // Keep-alive sockets would hold the server's close() open until its own 10 s fallback.
  for (const agent of state.agents) agent.destroy();
  server.child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if ((await Promise.race([server.exited, timer])) === 'timeout' && serverAlive()) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

let cleanedUp = false;
async function cleanup(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  // A profile is written only on a clean exit, which includes knex closing its pool.
  await stopServer(PROFILE ? 15_000 : 3_000).catch(() => undefined);
  for (const db of state.databases) {
    await state.admin?.query(`DROP DATABASE IF EXISTS \`${db}\``).catch((err: Error) => warn(`could not drop ${db}: ${err.message}`));
  }
  await state.admin?.end().catch(() => undefined);
  if (state.tmpDir && !PROFILE) fs.rmSync(state.tmpDir, { recursive: true, force: true });
}

// `exit` handlers can't wait, but a synchronous kill still stops an orphaned server.
process.on('exit', () => {
  if (serverAlive()) state.server?.child.kill('SIGKILL');
});
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    warn(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(code));
  });
}

function warn(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Database helpers.

function connectionOptions(database?: string): mysql.ConnectionOptions {
  const u = new URL(BASE_URL.replace(/^mariadb:/, 'mysql:'));
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
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

function databaseUrl(database: string): string {
  const u = new URL(BASE_URL.replace(/^mariadb:/, 'mysql:'));
  u.pathname = `/${database}`;
  return u.toString();
}

async function freshDatabase(admin: mysql.Connection, name: string): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  state.databases.push(name);
}

async function scalar(admin: mysql.Connection, sql: string): Promise<number> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(sql);
  return Number(Object.values(rows[0] ?? {})[0] ?? NaN);
}

// ---------------------------------------------------------------------------------------------
// Where time goes: server counters and CPU time of the three processes, read around each phase.

const STATUS_VARS = [
  'Questions',
  'Com_begin',
  'Com_commit',
  'Com_rollback',
  'Com_insert',
  'Com_select',
  'Com_update',
  'Innodb_data_fsyncs',
  'Innodb_row_lock_waits',
  'Innodb_deadlocks',
] as const;
type StatusVar = (typeof STATUS_VARS)[number];

interface Snapshot {
  at: number;
  status: Record<StatusVar, number>;
  /** CPU seconds. */
  cpu: { server: number; mysqld: number; bench: number };
  /** The server's resident set, kB. */
  serverRssKb: number;
  /** Busy CPU seconds of the whole machine, to spot load from outside the bench. */
  machineBusy: number;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process in seconds, or NaN where /proc can't tell (remote DB, not Linux). */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

function machineBusySeconds(): number {
  try {
    const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
    return (user + nice + system + irq + softirq + steal) / CLK_TCK;
  } catch {
    return NaN;
  }
}

function findMysqldPid(): number | undefined {
  const host = new URL(BASE_URL.replace(/^mariadb:/, 'mysql:')).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return undefined;
  try {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const comm = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm === 'mariadbd' || comm === 'mysqld') return Number(entry);
    }
  } catch {
    // Not Linux, or /proc is hidden: the CPU columns read n/a.
  }
  return undefined;
}

function procStatusKb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

const mysqldPid = findMysqldPid();

async function snapshot(admin: mysql.Connection): Promise<Snapshot> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(
    `SHOW GLOBAL STATUS WHERE Variable_name IN (${STATUS_VARS.map(() => '?').join(', ')})`,
    [...STATUS_VARS],
  );
  const status = Object.fromEntries(STATUS_VARS.map((v) => [v, NaN])) as Record<StatusVar, number>;
  for (const row of rows) status[row.Variable_name as StatusVar] = Number(row.Value);
  const own = process.cpuUsage();
  return {
    at: performance.now(),
    status,
    cpu: {
      server: cpuSeconds(state.server?.child.pid),
      mysqld: cpuSeconds(mysqldPid),
      bench: (own.user + own.system) / 1e6,
    },
    serverRssKb: procStatusKb(state.server?.child.pid, 'VmRSS'),
    machineBusy: machineBusySeconds(),
  };
}

// ---------------------------------------------------------------------------------------------
// The load loop shared by both kinds of phase.

interface PhaseResult {
  ok: number;
  failed: number;
  elapsedMs: number;
  /** The first few distinct failure messages. */
  errors: string[];
}

/**
 * Runs `op` in `concurrency` parallel loops until `durationMs` passes or `maxOps` are started,
 * then waits for the ones in flight (each is bounded by its own timeout). The rate is ok ops
 * over the time until the last one finished, so a slow last request is paid for, not hidden.
 */
async function runLoops(
  concurrency: number,
  durationMs: number,
  op: (worker: number) => Promise<void>,
  maxOps = Number.POSITIVE_INFINITY,
  maxFailures = MAX_FAILURES_PER_PHASE,
): Promise<PhaseResult> {
  const result: PhaseResult = { ok: 0, failed: 0, elapsedMs: 0, errors: [] };
  const start = performance.now();
  const deadline = start + durationMs;
  let started = 0;
  const loop = async (worker: number) => {
    while (!cleanedUp && performance.now() < deadline && started < maxOps && result.failed < maxFailures) {
      started++;
      try {
        await op(worker);
        result.ok++;
      } catch (err) {
        result.failed++;
        const message = (err as Error).message;
        if (result.errors.length < 5 && !result.errors.includes(message)) result.errors.push(message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, worker) => loop(worker)));
  result.elapsedMs = performance.now() - start;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Baseline: what MariaDB does with the simplest possible durable write.

async function rawPhase(concurrency: number): Promise<PhaseResult> {
  const conns = await Promise.all(Array.from({ length: concurrency }, () => mysql.createConnection(connectionOptions(RAW_DB))));
  try {
    let n = 0;
    // `query`, not `execute`: knex sends text-protocol queries, so both sides pay the same.
    return await runLoops(concurrency, PHASE_MS, async (worker) => {
      const i = n++;
      await conns[worker]!.query('INSERT INTO bench_raw (k, v) VALUES (?, ?)', [`w${worker}-${i}`, i]);
    });
  } finally {
    await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
  }
}

// ---------------------------------------------------------------------------------------------
// The plugin: signed deliveries over keep-alive HTTP, as a panel would send them.

const signer = new Webhook(WEBHOOK_SECRET);
const runTag = Date.now().toString(36);
let eventSeq = 0;

/** The canonical invoice.paid shape (DESIGN §6, test/support/harness.ts invoicePaid()). */
function nextInvoicePaid(): { id: string; body: string } {
  const n = eventSeq++;
  // Round-robin, so consecutive (hence concurrent) events belong to different members.
  const clientId = String(1 + (n % CLIENTS));
  const invoiceId = `${runTag}-${n}`;
  const event = {
    id: `bench:invoice:${invoiceId}:paid`,
    type: 'invoice.paid',
    occurred_at: new Date().toISOString(),
    client: { id: clientId, email: `client${clientId}@example.com`, name: `Client ${clientId}`, locale: 'en', currency: 'USD' },
    invoice: {
      id: invoiceId,
      currency: 'USD',
      total: '120.00',
      paid_from_credit: '0.00',
      items: [
        {
          id: `${invoiceId}-1`,
          type: 'renewal',
          service_id: '77',
          product_group: 'shared-hosting',
          billing_cycle: 'annually',
          amount: '100.00',
        },
        { id: `${invoiceId}-2`, type: 'domain', amount: '20.00' },
      ],
    },
  };
  return { id: event.id, body: JSON.stringify(event) };
}

function post(
  agent: http.Agent,
  port: number,
  urlPath: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function deliver(agent: http.Agent, port: number): Promise<void> {
  const { id, body } = nextInvoicePaid();
  const now = new Date();
  const res = await post(agent, port, '/hooks/events', body, {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signer.sign(id, now, body),
  });
  let outcome: unknown;
  try {
    outcome = (JSON.parse(res.text) as { outcome?: unknown }).outcome;
  } catch {
    outcome = undefined;
  }
  if (res.status !== 200 || outcome !== 'applied') {
    throw new Error(`HTTP ${res.status} ${res.text.slice(0, 200)}`);
  }
}

function newAgent(concurrency: number): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  state.agents.push(agent);
  return agent;
}

async function pluginPhase(
  port: number,
  concurrency: number,
  durationMs: number,
  limits: { maxOps?: number; maxFailures?: number } = {},
): Promise<PhaseResult> {
  const agent = newAgent(concurrency);
  try {
    return await runLoops(concurrency, durationMs, () => deliver(agent, port), limits.maxOps, limits.maxFailures);
  } finally {
    agent.destroy();
  }
}

/** A pino line carries the SQL and a stack; the level, message and error code are what a reader needs. */
function compactLogLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { code?: string; message?: string } };
    const err = entry.err ? ` ${entry.err.code ?? ''} ${(entry.err.message ?? '').slice(-120)}` : '';
    return `level ${entry.level} ${entry.msg ?? ''}${err}`;
  } catch {
    return line.slice(0, 300);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(tmpDir: string): Promise<Server> {
  const port = await freePort();
  // `node --import tsx` rather than the tsx CLI: one process, so its pid is the server's (RSS,
  // CPU), and sources rather than dist/, which another build may be rewriting.
  const args = [
    ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(tmpDir, 'profile')}`] : []),
    ...(process.env.BENCH_SERVER === 'dist'
      ? [path.join('dist', 'plugin', 'server.js')]
      : ['--import', 'tsx', path.join('plugin', 'server.ts')]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PANEL: 'generic',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl(PLUGIN_DB),
      DATA_DIR: path.join(tmpDir, 'data'),
      WEBHOOK_SECRET,
      SSO_SECRET,
      SESSION_SECRET,
      LOG_LEVEL: 'warn',
      DB_POOL_MAX: '32',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      tail.push(compactLogLine(line));
      if (tail.length > 10) tail.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server: Server = { child, port, tail, exited };
  state.server = server;

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (!serverAlive()) throw new Error(`the server exited during startup:\n${tail.join('\n')}`);
    const status = await new Promise<number>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 1_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
    });
    if (status === 200) return server;
    if (Date.now() > deadline) throw new Error(`/healthz not 200 within ${STARTUP_TIMEOUT_MS} ms:\n${tail.join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting.

interface Measured {
  result: PhaseResult;
  before: Snapshot;
  after: Snapshot;
}

function rate(m: Measured): number {
  return m.result.ok / (m.result.elapsedMs / 1000);
}

function logPhase(label: string, concurrency: number, m: Measured): void {
  const { ok, failed } = m.result;
  log(`${label.padEnd(6)}  c=${String(concurrency).padEnd(2)}  ${fmt(rate(m)).padStart(6)}/s  (${ok} ok, ${failed} failed)`);
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Per-op costs: statements, fsyncs and CPU, which say whether a phase waits on disk or on a core. */
function detailRow(label: string, concurrency: number, m: Measured): string[] {
  const d = (v: StatusVar) => m.after.status[v] - m.before.status[v];
  const ops = m.result.ok || 1;
  const wall = (m.after.at - m.before.at) / 1000;
  const cpu = (k: keyof Snapshot['cpu']) => m.after.cpu[k] - m.before.cpu[k];
  const perOpUs = (k: keyof Snapshot['cpu']) => (cpu(k) / ops) * 1e6;
  const ours = (cpu('server') || 0) + (cpu('mysqld') || 0) + cpu('bench');
  const busy = ours / wall / os.cpus().length;
  const other = (m.after.machineBusy - m.before.machineBusy - ours) / wall / os.cpus().length;
  return [
    label,
    String(concurrency),
    fmt(rate(m)),
    fmt(d('Questions') / ops, 1),
    fmt(d('Com_commit') / ops, 2),
    fmt(d('Innodb_data_fsyncs') / ops, 2),
    fmt(d('Innodb_row_lock_waits')),
    fmt(d('Innodb_deadlocks')),
    label === 'raw' ? '-' : fmt(perOpUs('server')),
    fmt(perOpUs('mysqld')),
    fmt(perOpUs('bench')),
    `${fmt(busy * 100)}%`,
    `${fmt(Math.max(0, other) * 100)}%`,
    label === 'raw' ? '-' : fmt(m.after.serverRssKb / 1024),
  ];
}

/** Self time from the server's .cpuprofile, grouped by package or plugin file. */
function summariseProfile(dir: string): string {
  // Sorted, the main thread's profile (thread 0) comes first; tsx adds a loader-hooks thread.
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort() : [];
  if (files.length === 0) return `no .cpuprofile in ${dir} (did the server exit cleanly?)`;
  interface CpuProfile {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    samples: number[];
    timeDeltas: number[];
  }
  const profile = JSON.parse(fs.readFileSync(path.join(dir, files[0]!), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    total += us;
    const url = frame.url.replace(/^file:\/\//, '');
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
    // Frames without a URL are V8 or libuv bindings: writeBuffer/writev are socket writes.
    const native = frame.functionName.startsWith('(') ? frame.functionName : `(native) ${frame.functionName}`;
    const group = pkg ?? (url.startsWith(ROOT) ? path.relative(ROOT, url) : url || native);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    const fn = url ? `${frame.functionName || '(anonymous)'} ${pkg ?? path.basename(url)}:${frame.lineNumber + 1}` : native;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  });
  const top = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([k, us]) => [k, `${fmt(us / 1000)} ms`, `${fmt((us / total) * 100, 1)}%`]);
  return [
    `server CPU profile (${path.join(dir, files[0]!)}), whole server life, idle excluded: ${fmt(total / 1000)} ms`,
    '',
    table(['self time by package / file', 'ms', 'share'], top(byGroup)),
    '',
    table(['self time by function', 'ms', 'share'], top(byFunction)),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

// Not unref'd: if every handle closed while a phase still awaited, the run would otherwise end
// silently with exit code 0 and the databases left behind.
const watchdog = setTimeout(() => {
  warn(`still running after ${WATCHDOG_MS / 1000} s: giving up`);
  void cleanup().finally(() => process.exit(1));
}, WATCHDOG_MS);

async function main(): Promise<number> {
  state.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-bench-'));
  state.admin = await mysql.createConnection(connectionOptions());
  const admin = state.admin;
  const [[versionRow]] = await admin.query<mysql.RowDataPacket[]>(
    'SELECT VERSION() AS v, @@innodb_flush_log_at_trx_commit AS flush, @@log_bin AS log_bin',
  );
  log(
    `ingest bench: ${os.cpus().length} cores, MariaDB ${versionRow?.v} (innodb_flush_log_at_trx_commit=${versionRow?.flush}, ` +
      `log_bin=${versionRow?.log_bin}), ${PHASE_MS} ms per phase, ${CLIENTS} clients, load average ${fmt(os.loadavg()[0] ?? NaN, 2)}`,
  );

  await freshDatabase(admin, RAW_DB);
  await admin.query(
    `CREATE TABLE \`${RAW_DB}\`.bench_raw (id BIGINT AUTO_INCREMENT PRIMARY KEY, k VARCHAR(64) NOT NULL, v BIGINT NOT NULL) ENGINE=InnoDB`,
  );
  await freshDatabase(admin, PLUGIN_DB);

  const started = performance.now();
  const server = await startServer(state.tmpDir);
  log(
    `server pid ${server.child.pid} on port ${server.port}, healthy after ${fmt(performance.now() - started)} ms ` +
      `(migrations included), RSS ${fmt(procStatusKb(server.child.pid, 'VmRSS') / 1024, 1)} MB`,
  );

  // Warm-up enrols every client (their first event inserts the member) and warms the JIT, so the
  // measured phases see the steady state: an event for a member who already exists.
  let failures = 0;
  const failureSamples: string[] = [];
  const account = (label: string, r: PhaseResult) => {
    failures += r.failed;
    for (const e of r.errors) failureSamples.push(`${label}: ${e}`);
  };
  const warmupBefore = await snapshot(admin);
  // Failures don't cut it short (time and count still bound it): a client whose first event
  // failed would otherwise enrol inside a measured phase.
  const warmupOps = CLIENTS + 500;
  const warmup = await pluginPhase(server.port, 32, 8_000, { maxOps: warmupOps, maxFailures: warmupOps });
  const warmupMeasured: Measured = { result: warmup, before: warmupBefore, after: await snapshot(admin) };
  account('warm-up', warmup);
  const enrolled = await scalar(admin, `SELECT COUNT(*) FROM \`${PLUGIN_DB}\`.loyalty_members`);
  log(`warm-up: ${warmup.ok} events in ${fmt(warmup.elapsedMs)} ms, ${warmup.failed} failed, ${enrolled}/${CLIENTS} members enrolled`);

  const measured: Array<{ concurrency: number; raw: Measured; plugin: Measured }> = [];
  for (const concurrency of CONCURRENCIES) {
    // Each pair runs back to back, so both sides see the same disk and buffer-pool state.
    let before = await snapshot(admin);
    const rawResult = await rawPhase(concurrency);
    const raw: Measured = { result: rawResult, before, after: await snapshot(admin) };
    account(`raw c=${concurrency}`, rawResult);
    logPhase('raw', concurrency, raw);

    before = await snapshot(admin);
    const pluginResult = await pluginPhase(server.port, concurrency, PHASE_MS);
    const plugin: Measured = { result: pluginResult, before, after: await snapshot(admin) };
    account(`plugin c=${concurrency}`, pluginResult);
    logPhase('plugin', concurrency, plugin);
    measured.push({ concurrency, raw, plugin });
  }

  const rssKb = procStatusKb(server.child.pid, 'VmRSS');
  const hwmKb = procStatusKb(server.child.pid, 'VmHWM');

  // Correctness: every applied delivery left exactly one inbox row and one ledger row, nothing
  // else did, and the cached balances still equal the ledger (invariant 2).
  const pluginDelivered = warmup.ok + measured.reduce((s, m) => s + m.plugin.result.ok, 0);
  const rows = {
    events: await scalar(admin, `SELECT COUNT(*) FROM \`${PLUGIN_DB}\`.loyalty_events`),
    applied: await scalar(admin, `SELECT COUNT(*) FROM \`${PLUGIN_DB}\`.loyalty_events WHERE outcome = 'applied' AND points = 120`),
    ledger: await scalar(admin, `SELECT COUNT(*) FROM \`${PLUGIN_DB}\`.loyalty_ledger`),
    lots: await scalar(admin, `SELECT COUNT(*) FROM \`${PLUGIN_DB}\`.loyalty_lots`),
    members: await scalar(admin, `SELECT COUNT(*) FROM \`${PLUGIN_DB}\`.loyalty_members`),
    mismatched: await scalar(
      admin,
      `SELECT COUNT(*) FROM \`${PLUGIN_DB}\`.loyalty_members m
         LEFT JOIN (SELECT member_id, SUM(delta) AS s FROM \`${PLUGIN_DB}\`.loyalty_ledger GROUP BY member_id) l ON l.member_id = m.id
        WHERE m.points_available + m.points_pending <> COALESCE(l.s, 0)`,
    ),
  };
  const correct =
    rows.events === pluginDelivered &&
    rows.applied === pluginDelivered &&
    rows.ledger === pluginDelivered &&
    rows.lots === pluginDelivered &&
    rows.mismatched === 0;

  log('');
  log(
    table(
      ['concurrency', 'raw inserts/s', 'plugin events/s', 'ratio', 'target', ''],
      measured.map(({ concurrency, raw, plugin }) => {
        const ratio = rate(plugin) / rate(raw);
        const verdict = ratio >= TARGET_RATIO ? 'ok' : 'BELOW';
        return [String(concurrency), fmt(rate(raw)), fmt(rate(plugin)), fmt(ratio, 2), `>= ${TARGET_RATIO}`, verdict];
      }),
    ),
  );
  log('');
  log(
    table(
      [
        ...['phase', 'c', 'ops/s', 'stmts/op', 'commits/op', 'fsyncs/op', 'lock waits', 'deadlocks'],
        ...['server µs/op', 'mysqld µs/op', 'bench µs/op', 'CPU busy', 'other CPU', 'server RSS MB'],
      ],
      [
        detailRow('warm-up', 32, warmupMeasured),
        ...measured.flatMap(({ concurrency, raw, plugin }) => [
          detailRow('raw', concurrency, raw),
          detailRow('plugin', concurrency, plugin),
        ]),
      ],
    ),
  );
  log(`(warm-up: the first ${CLIENTS} events enrol their member, and the JIT is cold)`);
  log(
    '(stmts and fsyncs are server-wide counters; µs/op is utime+stime per op; busy is these three processes as a share of ' +
      'all cores, other is the rest of the machine: a run with much "other" was disturbed)',
  );
  log('');
  log(`server RSS at end: ${fmt(rssKb / 1024, 1)} MB (peak ${fmt(hwmKb / 1024, 1)} MB; target <= 150 MB)`);
  log(
    `correctness: ${pluginDelivered} applied deliveries (incl. warm-up) -> ` +
      `loyalty_events ${rows.events} (${rows.applied} applied, 120 pts), loyalty_ledger ${rows.ledger}, ` +
      `loyalty_lots ${rows.lots}, members ${rows.members}, balance mismatches ${rows.mismatched}: ${correct ? 'OK' : 'MISMATCH'}`,
  );
  log(`failures: ${failures}`);
  for (const sample of failureSamples) log(`  ${sample}`);
  if (failures > 0 || !correct) {
    log('server output (last lines):');
    for (const line of server.tail) log(`  ${line}`);
  }

  await cleanup();
  if (PROFILE && state.tmpDir) {
    log('');
    log(summariseProfile(path.join(state.tmpDir, 'profile')));
  }

  const belowTarget = measured.some(({ raw, plugin }) => rate(plugin) / rate(raw) < TARGET_RATIO);
  if (failures > 0 || !correct) return 1;
  if (STRICT && belowTarget) return 1;
  return 0;
}

main()
  .then(
    (code) => {
      process.exitCode = code;
    },
    async (err: Error) => {
      warn(`failed: ${err.stack ?? err.message}`);
      await cleanup();
      process.exitCode = 1;
    },
  )
  .finally(() => clearTimeout(watchdog));
