import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, TEST_SECRETS, type TestApp } from '../support/harness';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/plugin/cli/job.js');
const DAY = 86_400_000;
/** The UTC day `n` days before the wall clock the CLI runs on, as a period. */
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run job` as an operator runs it (issue 8): the compiled CLI in its own process against
 * the test's database (SQLite file or MariaDB), with exit codes, progress lines, --dry-run, and
 * a run killed with SIGKILL mid-batch then resumed without expiring anything twice.
 */
describe('npm run job (plugin/cli/job.ts)', () => {
  let app: TestApp;
  let dataDir: string;
  let n = 0;
  beforeAll(async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does) first`);
    app = await startTestApp();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-job-cli-'));
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(async () => {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const env = (databaseUrl = app.db.url) => ({
    PATH: process.env.PATH ?? '',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PANEL: 'generic',
    WEBHOOK_SECRET: TEST_SECRETS.webhook,
    SSO_SECRET: TEST_SECRETS.sso,
    SESSION_SECRET: TEST_SECRETS.session,
    LOG_LEVEL: 'warn',
  });

  function job(args: string[], databaseUrl?: string): Promise<Result> {
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: env(databaseUrl), cwd: ROOT }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  /** Members with one lot each, due ten days ago by the wall clock the CLI runs on. */
  async function dueMembers(count: number, points = 10): Promise<number[]> {
    const ids: number[] = [];
    const tag = `cli-${++n}`;
    for (let i = 0; i < count; i++) {
      ids.push(
        await app.plugin.db.transaction(async (tx) => {
          const account = await MemberAccount.enrol(tx, { id: `${tag}-${i}` });
          await account.credit({ kind: 'earn', points, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date(Date.now() - 10 * DAY) });
          return account.member.id;
        }),
      );
    }
    return ids;
  }
  const ledgerRows = async () => Number((await app.plugin.db.knex('loyalty_ledger').count({ n: '*' }).first())?.n);
  const expireEntries = async (ids: number[]) =>
    (await app.plugin.db.knex('loyalty_ledger').whereIn('member_id', ids).andWhere({ kind: 'expire' }).select('member_id')).map((r: { member_id: unknown }) => Number(r.member_id));

  it('refuses bad usage with exit code 2 and says why', async () => {
    expect(await job([])).toMatchObject({ code: 2, stderr: expect.stringContaining('Name a job: release-pending, review-tiers') });
    expect(await job(['expire-pointz'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown job "expire-pointz"') });
    expect(await job(['expire-points', '--batch-size', '0'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--batch-size') });
    // Before 2000 nothing happened (the event contract's floor): no period to run.
    expect(await job(['statements', '--period', '0000-01'])).toMatchObject({ code: 2, stderr: expect.stringContaining('must be written YYYY-MM') });
    expect(await job(['expire-points', '--period', '1999-12-31'])).toMatchObject({ code: 2, stderr: expect.stringContaining('must be written YYYY-MM-DD') });
    for (const odd of ['1e3', '0x10', ' 7', '-5']) expect(await job(['expire-points', `--batch-size=${odd}`])).toMatchObject({ code: 2, stderr: expect.stringContaining('--batch-size must be a whole number') });
    expect(await job(['expire-points', '--frobnicate'])).toMatchObject({ code: 2 });
    expect(await job(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: npm run job') });
    // Help is for someone without a configuration too.
    expect(await job(['-h'], 'notaurl')).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: npm run job') });
    expect(await job(['expire-points'], 'notaurl')).toMatchObject({ code: 4, stderr: expect.stringContaining('DATABASE_URL: must be') });
  });

  it("refuses a period that isn't the job's kind, or hasn't begun, with exit code 2", async () => {
    expect(await job(['expire-points', '--period', '2026-02-30'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--period of expire-points must be written YYYY-MM-DD') });
    expect(await job(['statements', '--period', '2026-11-01'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--period of statements must be written YYYY-MM') });
    expect(await job(['expire-points', '--period', daysAgo(-2)])).toMatchObject({ code: 2, stderr: expect.stringContaining(`expire-points ${daysAgo(-2)} can't run yet`) });
    expect(await job(['release-pending', '--period', '2026-11-01'])).toMatchObject({ code: 2, stderr: expect.stringContaining('has no periods') });
  });

  it('exit code 4 when the database is not migrated', async () => {
    const empty = `sqlite:${path.join(dataDir, `empty-${++n}.sqlite`)}`;
    expect(await job(['expire-points'], empty)).toMatchObject({ code: 4, stderr: expect.stringContaining('Run npm run migrate first') });
  });

  it('--dry-run reports what would expire and writes nothing', async () => {
    const ids = await dueMembers(3, 7);
    const before = await ledgerRows();
    const result = await job(['expire-points', '--period', daysAgo(5), '--dry-run']);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(`expire-points ${daysAgo(5)}: dry run, nothing written; would change (members 3, points 21, lots 3)`);
    expect(await ledgerRows()).toBe(before);
    expect(await app.plugin.db.repos.jobs.findRun('expire-points', daysAgo(5))).toBeNull();
    expect(await expireEntries(ids)).toEqual([]);
  });

  it('a past period acts as of its end: what fell due after it waits for its own day', async () => {
    const before = await ledgerRows();
    // The dry run's three lots expired ten days ago: a run for twelve days ago finds nothing due.
    const result = await job(['expire-points', '--period', daysAgo(12), '--dry-run']);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(`expire-points ${daysAgo(12)}: dry run, nothing written; would change (members 0, points 0, lots 0)`);
    expect(await job(['expire-points', '--period', daysAgo(10), '--dry-run'])).toMatchObject({ stdout: expect.stringContaining('(members 3, points 21, lots 3)') });
    expect(await ledgerRows()).toBe(before);
  });

  it('runs the job with plain progress lines off a terminal; the period then is done; a held lease is exit 3', async () => {
    const ids = await dueMembers(6); // and the dry run's three, still due
    const result = await job(['expire-points', '--period', daysAgo(4), '--batch-size', '2']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^expire-points: 2\/9 lots \(22%\) members 2, points \d+, lots 2$/);
    expect(lines).not.toContainEqual(expect.stringContaining('\r'));
    expect(lines[lines.length - 1]).toBe(`expire-points ${daysAgo(4)}: done (members 9, points 81, lots 9)`);
    expect((await expireEntries(ids)).sort()).toEqual([...ids].sort());

    expect(await job(['expire-points', '--period', daysAgo(4)])).toMatchObject({ code: 0, stdout: expect.stringContaining('already done for this period') });

    await app.plugin.db.repos.jobs.claimLease('expire-points', 'someone-else', new Date(), new Date(Date.now() + 60_000));
    try {
      expect(await job(['expire-points', '--period', daysAgo(3)])).toMatchObject({ code: 3, stdout: expect.stringContaining('another instance is running it') });
    } finally {
      await app.plugin.db.repos.jobs.releaseLease('expire-points', 'someone-else');
    }
  });

  it('a job that sends mail runs from the command line: expiry warnings are queued with their email', async () => {
    await app.plugin.services.program.update({ email_channel: 'panel' });
    try {
      const member = await app.plugin.db.transaction(async (tx) => {
        const account = await MemberAccount.enrol(tx, { id: `cli-mail-${++n}`, email: 'mail@example.com' });
        await account.credit({ kind: 'earn', points: 40, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date(Date.now() + 5 * DAY) });
        return account.member.id;
      });
      const result = await job(['expiry-warnings']);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(Number((await app.plugin.db.knex('loyalty_expiry_warnings').where({ member_id: member }).count({ n: '*' }).first())?.n)).toBeGreaterThan(0);
    } finally {
      await app.plugin.services.program.update({ email_channel: 'none' });
    }
  });

  it('--batch-size reaches the other batched jobs too: churn-risk reports its first batch of two and its total', async () => {
    for (let i = 0; i < 3; i++) await app.plugin.db.transaction((tx) => MemberAccount.enrol(tx, { id: `cli-churn-${i}` }));
    const members = Number((await app.plugin.db.knex('loyalty_members').count({ n: '*' }).first())?.n);
    const result = await job(['churn-risk', '--period', daysAgo(4), '--batch-size', '2']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^churn-risk: 2/${members} members \\(\\d+%\\) members 2, flagged \\d+, cleared \\d+$`));
    expect(lines[lines.length - 2]).toMatch(new RegExp(`^churn-risk: ${members}/${members} members \\(100%\\)`));
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^churn-risk ${daysAgo(4)}: done \\(members ${members}, flagged \\d+, cleared \\d+\\)$`));
  });

  it('killed with SIGKILL mid-batch, then run again: it resumes and expires nothing twice', async () => {
    const ids = await dueMembers(400, 3);
    const period = daysAgo(2);
    // Kill it as soon as it reports its first committed batch: it is then inside the next one.
    const killed = await new Promise<{ signal: NodeJS.Signals | null; stdout: string }>((resolve) => {
      // Small batches: many commits, so the kill lands mid-run even on a loaded machine.
      const child = spawn(process.execPath, [CLI, 'expire-points', '--period', period, '--batch-size', '4'], { env: env(), cwd: ROOT });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('\n')) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => resolve({ signal, stdout }));
    });
    expect(killed.signal).toBe('SIGKILL');
    const stopped = await app.plugin.db.repos.jobs.findRun('expire-points', period);
    expect(stopped).toMatchObject({ state: 'running', marker: expect.any(String) });
    const partial = await expireEntries(ids);
    expect(partial.length).toBeGreaterThanOrEqual(4);
    expect(partial.length).toBeLessThan(ids.length);
    await expectBalancesConsistent(app.plugin);

    // Its lease outlives it; taking over needs the lease to have expired (as after a crash, 5 minutes on).
    await app.plugin.db.knex('loyalty_job_leases').where({ job: 'expire-points' }).update({ lease_until: new Date(Date.now() - 1) });
    const resumed = await job(['expire-points', '--period', period, '--batch-size', '4']);
    expect(resumed).toMatchObject({ code: 0 });
    expect(resumed.stdout).toMatch(new RegExp(`expire-points ${period}: done \\(members \\d+, points \\d+, lots \\d+\\), resumed after `));
    const entries = await expireEntries(ids);
    expect(entries).toHaveLength(ids.length);
    expect(new Set(entries).size).toBe(ids.length);
    const balances = await app.plugin.db.knex('loyalty_members').whereIn('id', ids).sum({ s: 'points_available' }).first();
    expect(Number(balances?.s)).toBe(0);
    expect(await app.plugin.db.repos.jobs.findRun('expire-points', period)).toMatchObject({ state: 'done', attempts: 2, counts: { members: ids.length, points: 3 * ids.length, lots: ids.length } });
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('stopped with %s: it stops at a checkpoint and gives its lease back, so a run at once resumes it', async (signal) => {
    const ids = await dueMembers(400, 3);
    const period = daysAgo(signal === 'SIGINT' ? 1 : 0);
    const stopped = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'expire-points', '--period', period, '--batch-size', '4'], { env: env(), cwd: ROOT });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        if (!stdout.includes('\n') && (stdout + chunk.toString()).includes('\n')) child.kill(signal);
        stdout += chunk.toString();
      });
      child.on('exit', (code) => resolve({ code, stdout }));
    });
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toContain('stopped for a shutdown');
    expect(await app.plugin.db.knex('loyalty_job_leases').where({ job: 'expire-points' }).whereNotNull('owner').andWhere('lease_until', '>', new Date())).toEqual([]);
    await expectBalancesConsistent(app.plugin);

    const resumed = await job(['expire-points', '--period', period, '--batch-size', '50']);
    expect(resumed).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`expire-points ${period}: done .*resumed after `)) });
    const entries = await expireEntries(ids);
    expect(entries).toHaveLength(ids.length);
    expect(new Set(entries).size).toBe(ids.length);
  });
});
