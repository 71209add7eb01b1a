/**
 * Nightly jobs benchmark (DESIGN §9 "Nightly jobs"): expire-points and the tier review over
 * 100,000 members and 1,000,000 lots on MariaDB, each within 10 s; then again with ten times
 * the spent and expired history behind the same work due, where the time must stay flat.
 *
 *   npm run bench:jobs
 *
 * Environment:
 *   BENCH_DATABASE_URL  server to use, with a user that may create and drop databases
 *                       (default mysql://root@127.0.0.1:3306/test; only host and credentials are used)
 *   BENCH_SMOKE=1       1,000 members and 10,000 lots: checks the bench end to end, measures nothing
 *   BENCH_STRICT=1      exit non-zero when a target is missed
 *   BENCH_BUFFER_POOL_MB  InnoDB buffer pool for the run (default 2048, as a server for 100k
 *                       members would have; 0 leaves the server's as it is); restored at the end
 *
 * Seeding is server-side bulk INSERT … SELECT over MariaDB's sequence tables (seq_1_to_N), in
 * chunks with a progress bar: every member has 10 open lots of 10 points (each with its earn
 * entry), 5% of the lots are due, 30% of members hold Silver, 1% of all members are past their
 * grace and 1% are due a spend recheck. History is lots spent and expired long ago (remaining 0,
 * pointing at the member's first earn: they change no balance). The jobs run in this process
 * through the plugin's scheduler, exactly as the sidecar's cron runs them. The database
 * `hr_bench_jobs` is dropped and recreated at the start and dropped at the end.
 *
 * Each phase runs three rounds (a fresh 5% of lots due and fresh tier reviews each round) and
 * reports the median, with MariaDB's statements and the CPU seconds of this process and of
 * mariadbd per round, which load on the machine barely moves. The 1× figures print before the
 * 10× history is seeded, so a run stopped during that seeding still has them.
 */
import mysql from 'mysql2/promise';
import { loadConfig, type PluginConfig } from '../plugin/config';
import { createPlugin, type HostingRewardsPlugin } from '../plugin/index';
import { Progress } from '../plugin/lib/progress';
import { createLogger } from '../plugin/logger';
import { findMysqldPid, snapshot, type Snapshot } from './lib/counters';
import { fmt, log, table, warn } from './lib/log';
import { connectionOptions, databaseUrl, isLocal, scalar, serverUrl, sizeBufferPool } from './lib/mariadb';
import { BenchRun } from './lib/run';
import { SECRETS } from './lib/secrets';

const SMOKE = process.env.BENCH_SMOKE === '1';
const STRICT = process.env.BENCH_STRICT === '1';
const BASE_URL = serverUrl();
const DB = 'hr_bench_jobs';
const MEMBERS = SMOKE ? 1_000 : 100_000;
const LOTS_PER_MEMBER = 10;
const HISTORY_FACTOR = 10;
const ROUNDS = 3;
const CHUNK = SMOKE ? 2_000 : 50_000;
const TARGET_S = 10;
const BUFFER_POOL_MB = Number(process.env.BENCH_BUFFER_POOL_MB ?? 2048);
/** "Flat": the 10× run may take at most this much longer than the 1× one (noise on a shared machine). */
const FLAT_RATIO = 1.5;
const DAY = 86_400_000;

/** MySQL DATETIME(3) literal of an instant (the connection is UTC). */
const at = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/** Runs `sql(from, to)` over [1, total] in chunks, with a progress bar. */
async function chunked(admin: mysql.Connection, label: string, total: number, sql: (from: number, to: number) => string): Promise<void> {
  const progress = new Progress(label, process.stdout, { unit: 'rows' });
  for (let from = 1; from <= total; from += CHUNK) {
    const to = Math.min(total, from + CHUNK - 1);
    await admin.query(sql(from, to));
    progress.update(to, total);
  }
  progress.finish();
}

async function seed(admin: mysql.Connection, now: Date): Promise<void> {
  // Bulk load: the generated rows are consistent by construction, so skip the per-row foreign
  // key and unique checks (session only; the indexes are still built and used by the jobs).
  await admin.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
  const L = LOTS_PER_MEMBER;
  const earned = at(new Date(now.getTime() - 100 * DAY));
  await chunked(
    admin,
    'members',
    MEMBERS,
    (a, b) => `INSERT INTO loyalty_members (id, panel_client_id, referral_code, points_available, points_pending, points_lifetime, status, joined_at, updated_at)
      SELECT seq, CONCAT('bench-', seq), CONCAT('B', LPAD(seq, 12, '0')), ${10 * L}, 0, ${10 * L}, 'active', '${earned}', '${earned}' FROM seq_${a}_to_${b}`,
  );
  const lots = MEMBERS * L;
  // Lot and ledger ids coincide: lot s belongs to member ceil(s / L), its k-th lot (0-based).
  const member = '((seq - 1) DIV ' + L + ' + 1)';
  const k = '((seq - 1) MOD ' + L + ')';
  await chunked(
    admin,
    'ledger',
    lots,
    (a, b) => `INSERT INTO loyalty_ledger (id, member_id, delta, kind, reason_code, actor, balance_after, created_at)
      SELECT seq, ${member}, 10, 'earn', 'bench', 'system', 10 * (${k} + 1), '${earned}' FROM seq_${a}_to_${b}`,
  );
  await chunked(
    admin,
    'lots',
    lots,
    (a, b) => `INSERT INTO loyalty_lots (id, member_id, ledger_id, points, remaining, pending, earned_at, available_at, expires_at)
      SELECT seq, ${member}, seq, 10, 10, 0, '${earned}', '${earned}', '${at(new Date(now.getTime() + 200 * DAY))}' + INTERVAL ${k} DAY FROM seq_${a}_to_${b}`,
  );
}

/** 5% of lots due: lot `k` of every other member (a different k for every round, so each round's lots are fresh). */
async function makeDue(admin: mysql.Connection, now: Date, k: number): Promise<number> {
  const [result] = await admin.query<mysql.ResultSetHeader>(
    `UPDATE loyalty_lots SET expires_at = '${at(new Date(now.getTime() - DAY))}' WHERE id <= ${MEMBERS * LOTS_PER_MEMBER} AND MOD(id - 1, ${LOTS_PER_MEMBER}) = ${k} AND MOD((id - 1) DIV ${LOTS_PER_MEMBER} + 1, 2) = 0`,
  );
  return result.affectedRows;
}

/** 30% Silver with their next recheck far off, of whom 1% of all members past grace and 1% due a recheck; the rest Bronze. */
async function setTiers(admin: mysql.Connection, now: Date): Promise<{ graceOver: number; recheck: number }> {
  const bronze = await scalar(admin, "SELECT id FROM loyalty_tiers WHERE name = 'Bronze'");
  const silver = await scalar(admin, "SELECT id FROM loyalty_tiers WHERE name = 'Silver'");
  await admin.query(
    `UPDATE loyalty_members SET
      tier_id = IF(MOD(id, 10) < 3, ${silver}, ${bronze}),
      tier_below_since = IF(MOD(id, 100) = 1, '${at(new Date(now.getTime() - 40 * DAY))}', NULL),
      tier_recheck_at = CASE WHEN MOD(id, 10) >= 3 OR MOD(id, 100) = 1 THEN NULL WHEN MOD(id, 100) = 2 THEN '${at(new Date(now.getTime() - 3_600_000))}' ELSE '${at(new Date(now.getTime() + 100 * DAY))}' END`,
  );
  return { graceOver: MEMBERS / 100, recheck: MEMBERS / 100 };
}

async function addHistory(admin: mysql.Connection): Promise<void> {
  const base = MEMBERS * LOTS_PER_MEMBER;
  const extra = base * (HISTORY_FACTOR - 1);
  const longAgo = '2020-01-01 00:00:00';
  await chunked(
    admin,
    `history ×${HISTORY_FACTOR}`,
    extra,
    (a, b) => `INSERT INTO loyalty_lots (id, member_id, ledger_id, points, remaining, pending, earned_at, available_at, expires_at)
      SELECT ${base} + seq, MOD(seq - 1, ${MEMBERS}) + 1, (MOD(seq - 1, ${MEMBERS})) * ${LOTS_PER_MEMBER} + 1, 10, 0, 0, '${longAgo}', '${longAgo}', '${longAgo}' + INTERVAL 1 YEAR + INTERVAL MOD(seq, 86400) SECOND FROM seq_${a}_to_${b}`,
  );
  await admin.query('ANALYZE TABLE loyalty_lots');
}

interface Timing {
  seconds: number;
  counts: Record<string, number>;
  statements: number;
  /** CPU seconds of this process (the plugin runs in it) and of mariadbd. */
  cpu: { plugin: number; mysqld: number };
}

async function timeJob(plugin: HostingRewardsPlugin, admin: mysql.Connection, mysqld: number | undefined, name: string, period: string): Promise<Timing> {
  const before: Snapshot = await snapshot(admin, { mysqld });
  const outcome = await plugin.jobs.run(name, { period });
  const after = await snapshot(admin, { mysqld });
  if (outcome.status !== 'done') throw new Error(`${name} did not finish: ${JSON.stringify(outcome)}`);
  return {
    seconds: (after.at - before.at) / 1000,
    counts: outcome.counts,
    // Less the two SHOW STATUS of the snapshots themselves.
    statements: after.status.Questions - before.status.Questions - 1,
    cpu: { plugin: after.cpu.bench - before.cpu.bench, mysqld: after.cpu.mysqld - before.cpu.mysqld },
  };
}

function median(timings: Timing[]): Timing {
  const sorted = [...timings].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Invariant 2 in aggregate (cheap at any size); per member in a smoke run. */
async function checkBalances(admin: mysql.Connection, plugin: HostingRewardsPlugin): Promise<boolean> {
  const cached = await scalar(admin, 'SELECT SUM(points_available + points_pending) FROM loyalty_members');
  const ledger = await scalar(admin, 'SELECT SUM(delta) FROM loyalty_ledger');
  const lots = await scalar(admin, 'SELECT SUM(remaining) FROM loyalty_lots');
  const perMember = SMOKE ? (await plugin.db.repos.members.findBalanceMismatches()).length : 0;
  const ok = cached === ledger && ledger === lots && perMember === 0;
  if (!ok) warn(`balances disagree: members ${cached}, ledger ${ledger}, lots ${lots}, members mismatched ${perMember}`);
  return ok;
}

async function main(): Promise<void> {
  const run = new BenchRun({ watchdogMs: SMOKE ? 120_000 : 45 * 60_000, serverGraceMs: 0, keepTmpDir: false });
  let plugin: HostingRewardsPlugin | undefined;
  let failed = false;
  let restorePool: (() => Promise<void>) | undefined;
  try {
    const admin = await mysql.createConnection({ ...connectionOptions(BASE_URL), multipleStatements: false });
    run.admin = admin;
    restorePool = await sizeBufferPool(admin, SMOKE ? 0 : BUFFER_POOL_MB, log);
    await run.freshDatabase(admin, DB);
    await admin.query(`USE \`${DB}\``);
    if ((await scalar(admin, 'SELECT COUNT(*) FROM seq_1_to_3').catch(() => NaN)) !== 3) {
      throw new Error('this bench seeds with MariaDB sequence tables (seq_1_to_N): point BENCH_DATABASE_URL at MariaDB ≥ 10.0 with the Sequence engine');
    }
    const config: PluginConfig = { ...loadConfig({}), databaseUrl: databaseUrl(BASE_URL, DB), panel: 'generic', eventSource: 'bench', logLevel: 'silent', dbPoolMax: 4 };
    plugin = createPlugin({ config, secrets: SECRETS, logger: createLogger('silent'), migrate: true });
    await plugin.db.migrateLatest();
    const now = new Date();
    log(`seeding ${MEMBERS.toLocaleString('en')} members, ${(MEMBERS * LOTS_PER_MEMBER).toLocaleString('en')} lots${SMOKE ? ' (smoke)' : ''}`);
    await seed(admin, now);

    const mysqld = findMysqldPid(isLocal(BASE_URL));
    const header = ['history', 'lots', 'job', 'due', 'median s', 'rounds s', 'statements', 'CPU plugin s', 'CPU mariadbd s'];
    const results: Array<{ expire: Timing; review: Timing }> = [];
    for (const [phase, factor] of [
      ['1×', 1],
      [`${HISTORY_FACTOR}×`, HISTORY_FACTOR],
    ] as const) {
      if (factor > 1) await addHistory(admin);
      const lots = await scalar(admin, 'SELECT COUNT(*) FROM loyalty_lots');
      const rounds: Array<{ expire: Timing; review: Timing; due: number; reviews: number }> = [];
      for (let round = 0; round < ROUNDS; round++) {
        const k = (factor > 1 ? ROUNDS : 0) + round;
        const due = await makeDue(admin, now, k);
        const tiers = await setTiers(admin, now);
        await admin.query('ANALYZE TABLE loyalty_lots, loyalty_members');
        const expire = await timeJob(plugin, admin, mysqld, 'expire-points', `bench-${phase}-${round}`);
        const review = await timeJob(plugin, admin, mysqld, 'review-tiers', `bench-${phase}-${round}`);
        const reviews = tiers.graceOver + tiers.recheck;
        if (expire.counts.lots !== due || expire.counts.members !== due || review.counts.reviewed !== reviews) {
          warn(`unexpected counts: ${due} due, expire ${JSON.stringify(expire.counts)}, review ${JSON.stringify(review.counts)}`);
          failed = true;
        }
        rounds.push({ expire, review, due, reviews });
      }
      if (!(await checkBalances(admin, plugin))) failed = true;
      const result = { expire: median(rounds.map((r) => r.expire)), review: median(rounds.map((r) => r.review)) };
      results.push(result);
      const row = (job: 'expire' | 'review', label: string, due: number) => {
        const m = result[job];
        return [phase, lots.toLocaleString('en'), label, due.toLocaleString('en'), fmt(m.seconds, 2), rounds.map((r) => fmt(r[job].seconds, 2)).join(' / '), m.statements.toLocaleString('en'), fmt(m.cpu.plugin, 2), fmt(m.cpu.mysqld, 2)];
      };
      log('');
      log(table(header, [row('expire', 'expire-points', rounds[0]!.due), row('review', 'tier-review', rounds[0]!.reviews)]));
    }
    const [one, ten] = results;
    if (one && ten) {
      const ratio = (a: Timing, b: Timing) => b.seconds / Math.max(a.seconds, 0.001);
      log('');
      log(`expire-points ${HISTORY_FACTOR}×/1×: ${fmt(ratio(one.expire, ten.expire), 2)} (flat ≤ ${FLAT_RATIO}); tier-review: ${fmt(ratio(one.review, ten.review), 2)}; target each ≤ ${TARGET_S} s`);
      const missed =
        Math.max(one.expire.seconds, ten.expire.seconds, one.review.seconds, ten.review.seconds) > TARGET_S ||
        ratio(one.expire, ten.expire) > FLAT_RATIO ||
        ratio(one.review, ten.review) > FLAT_RATIO;
      if (SMOKE) log('smoke run: counts and balances checked; the times mean nothing at this size');
      else if (missed) warn('a target was missed');
      if (missed && STRICT && !SMOKE) failed = true;
    }
  } catch (err) {
    warn(`failed: ${(err as Error).stack ?? String(err)}`);
    failed = true;
  } finally {
    await plugin?.shutdown();
    await restorePool?.().catch((err: Error) => warn(`could not restore the buffer pool size: ${err.message}`));
    await run.cleanup();
    run.done();
  }
  process.exit(failed ? 1 : 0);
}

void main();
