import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobOutcome } from '../../plugin/jobs/scheduler';
import { MemberAccount } from '../../plugin/services/member-account';
import { TEST_SECRETS, type TestApp } from '../support/harness';
import { clusterNodes, createClusterDatabase, expectSameOnEveryNode, nodeKnex, sleep, startInstance } from './cluster';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/plugin/cli/job.js');
const DAY = 86_400_000;

// A cluster on a shared 2-core machine: a node's restart or a storm can take minutes.
jest.setTimeout(300_000);

/** Scheduled jobs with two instances on two Galera nodes: one run per period, through the lease in loyalty_job_leases. */
describe('scheduled jobs across two instances on a 3-node Galera cluster', () => {
  let db: Awaited<ReturnType<typeof createClusterDatabase>>;
  let a: TestApp;
  let b: TestApp;
  let dataDir: string;
  const [node1, node2] = clusterNodes();
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm run test:galera builds it first`);
    db = await createClusterDatabase();
    const program = { refund_window_days: 0, birthday_bonus: { active: true, points: 100 } };
    a = await startInstance(db.on(node1), { program });
    b = await startInstance(db.on(node2), { program });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-galera-jobs-'));
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Members with one lot each, due two days ago; `birthday` gives them today's birthday. */
  async function members(tag: string, count: number, options: { birthday?: boolean } = {}): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(
        await a.plugin.db.transaction(async (tx) => {
          const account = await MemberAccount.enrol(tx, { id: `${tag}-${i}`, ...(options.birthday && { birthday: `1990-${today.slice(5)}` }) });
          await account.credit({ kind: 'earn', points: 10, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date(Date.now() - 2 * DAY) });
          return account.member.id;
        }),
      );
    }
    return ids;
  }

  /** Ledger entries of `kind` per member, read on the last node (on Galera node 3, neither instance's) once it has caught up. */
  async function entriesPerMember(ids: number[], kind: string): Promise<number[]> {
    const nodes = clusterNodes();
    const k = nodeKnex(nodes[nodes.length - 1] ?? node2, db.name);
    try {
      const rows = await k('loyalty_ledger').whereIn('member_id', ids).andWhere({ kind }).select('member_id');
      return ids.map((id) => rows.filter((r: { member_id: unknown }) => Number(r.member_id) === id).length);
    } finally {
      await k.destroy();
    }
  }

  it('each job, started on both instances at once, runs once per period; a second start changes nothing', async () => {
    // Ids step by the cluster size on Galera (auto_increment_increment): never assume id + 1.
    const ids = await members('once', 12, { birthday: true });
    const steps = new Set(ids.slice(1).map((id, i) => id - (ids[i] as number)));
    expect([...steps].every((s) => s >= 1)).toBe(true);

    const periods = new Map<string, string>();
    for (const job of a.plugin.jobs.definitions) {
      // The period of now: today for daily jobs, the month for statements, none for continuous ones.
      const period = job.cadence.period(new Date(), 'UTC') ?? undefined;
      const daily = period !== undefined;
      if (period) periods.set(job.name, period);
      const outcomes: JobOutcome[] = await Promise.all([a.plugin.jobs.run(job.name, { period }), b.plugin.jobs.run(job.name, { period })]);
      expect(outcomes.filter((o) => o.status === 'failed')).toEqual([]);
      if (daily) {
        // One ran it; the other found the lease held, or the period done.
        expect(outcomes.map((o) => o.status).sort()).toEqual(['done', 'skipped']);
        // Started again on both: nothing runs (one may even find the other's lease for the moment it checks).
        const again = await Promise.all([a.plugin.jobs.run(job.name, { period }), b.plugin.jobs.run(job.name, { period })]);
        expect(again.map((o) => o.status)).toEqual(['skipped', 'skipped']);
        expect(again.some((o) => o.status === 'skipped' && o.reason === 'already_done')).toBe(true);
      } else {
        expect(outcomes.some((o) => o.status === 'done')).toBe(true);
      }
    }
    const k = nodeKnex(node2, db.name);
    try {
      const runs = await k('loyalty_job_runs').whereIn('job', [...periods.keys()]).select('job', 'period', 'state', 'attempts');
      expect(runs.map((r: { job: string; period: string }) => `${r.job} ${r.period}`).sort()).toEqual([...periods].map(([job, period]) => `${job} ${period}`).sort());
      expect(runs.every((r: { state: string; attempts: unknown }) => r.state === 'done' && Number(r.attempts) === 1)).toBe(true);
    } finally {
      await k.destroy();
    }
    expect(await entriesPerMember(ids, 'expire')).toEqual(ids.map(() => 1));
    expect(await entriesPerMember(ids, 'bonus')).toEqual(ids.map(() => 1));
    await expectSameOnEveryNode(db.name);
  });

  it('the instance holding the lease is killed mid-batch: the other takes the job over once the lease expires, and nothing is done twice', async () => {
    const ids = await members('kill', 200);
    // Yesterday: a period that is over runs as of its end, when these lots (due two days ago) were due.
    const period = new Date(Date.now() - DAY).toISOString().slice(0, 10);
    const leaseSeconds = 4;
    // Instance C: the job CLI on node 1, with a short lease, killed as soon as its first batch committed.
    const env = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: node1.url(db.name),
      DATA_DIR: dataDir,
      PANEL: 'generic',
      WEBHOOK_SECRET: TEST_SECRETS.webhook,
      SSO_SECRET: TEST_SECRETS.sso,
      SESSION_SECRET: TEST_SECRETS.session,
      LOG_LEVEL: 'warn',
      JOB_LEASE_SECONDS: String(leaseSeconds),
    };
    const killed = await new Promise<{ signal: NodeJS.Signals | null; at: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'expire-points', '--period', period, '--batch-size', '4'], { env, cwd: ROOT });
      let stdout = '';
      let stderr = '';
      let at = 0;
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        // The first progress line is printed once the first batch has committed.
        if (!at && / lots /.test(stdout)) {
          at = Date.now();
          child.kill('SIGKILL');
        }
      });
      child.on('exit', (_code, signal) => resolve({ signal, at, stdout, stderr }));
    });
    expect({ signal: killed.signal, stderr: killed.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    const partial = (await entriesPerMember(ids, 'expire')).filter((n) => n > 0).length;
    expect({ partial: partial >= 4, stdout: killed.stdout }).toEqual({ partial: true, stdout: expect.stringContaining('lots') });
    expect(partial).toBeLessThan(ids.length);

    // B, on node 2, finds the dead instance's lease still held, and waits it out.
    const first = await b.plugin.jobs.run('expire-points', { period, batchSize: 50 });
    expect(first).toMatchObject({ status: 'skipped', reason: 'busy' });
    let outcome: JobOutcome = first;
    while (outcome.status === 'skipped') {
      if (Date.now() - killed.at > 60_000) throw new Error('B never took the job over');
      await sleep(250);
      outcome = await b.plugin.jobs.run('expire-points', { period, batchSize: 50 });
    }
    expect(outcome).toMatchObject({ status: 'done', resumedFrom: expect.any(String) });
    // Not before the lease ran out (the dead instance renewed it at its last checkpoint, after it was killed at most).
    expect(Date.now() - killed.at).toBeGreaterThanOrEqual((leaseSeconds - 1) * 1000);
    expect(await entriesPerMember(ids, 'expire')).toEqual(ids.map(() => 1));
    const k = nodeKnex(node1, db.name);
    try {
      expect(await k('loyalty_job_runs').where({ job: 'expire-points', period }).first()).toMatchObject({ state: 'done', attempts: 2 });
    } finally {
      await k.destroy();
    }
    await expectSameOnEveryNode(db.name);
  });
});
