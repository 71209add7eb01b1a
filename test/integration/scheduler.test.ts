import type { Database } from '../../plugin/db/database';
import { expirePointsJob } from '../../plugin/jobs/expire-points';
import { continuous, type Cadence, type JobContext, type JobDefinition, type JobDeps } from '../../plugin/jobs/job-definition';
import { Scheduler, type SchedulerOptions } from '../../plugin/jobs/scheduler';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';

const DAY = 86_400_000;
const MINUTE = 60_000;
/** Every run is period p1, a period long over. */
const P1: Cadence = { format: 'p1', runs: 'test', period: () => 'p1', end: (p) => (p === 'p1' ? new Date(0) : null), previous: () => null, catchUp: 0 };

/** A job that records each call and, when told, waits at a gate the test opens. */
function probe(name: string, options: { cadence?: Cadence } = {}) {
  const calls: JobContext[] = [];
  let gate: Promise<void> | null = null;
  const job: JobDefinition = {
    name,
    schedule: '0 0 * * *',
    description: 'test probe',
    cadence: options.cadence ?? P1,
    async run(ctx) {
      calls.push(ctx);
      if (gate) await gate;
      await ctx.checkpoint('m1', { done: 1 });
      return { done: 1 + (ctx.resume.counts.done ?? 0) };
    },
  };
  return {
    job,
    calls,
    /** Makes the next runs wait; returns what lets them go. */
    hold(): () => void {
      let open: () => void = () => {};
      gate = new Promise<void>((resolve) => (open = resolve));
      return () => open();
    },
  };
}

/** Waits (polling, at most 10 s) until `done` holds: no timing guess that a loaded machine breaks. */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 5) {
    if (waited > 10_000) throw new Error('timed out waiting for the job to start');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Scheduler runs: one job, one instance, one run per period (issue 8). */
describe('scheduler', () => {
  let app: TestApp;
  let other: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    // A second plugin instance on the same database and clock, as a second sidecar would be.
    other = await startTestApp({ db: app.db, clock: app.clock });
  });
  afterEach(async () => {
    await expectBalancesConsistent(app.plugin);
  });
  afterAll(async () => {
    await other.stop();
    await app.close();
  });

  const deps = (db: Database): JobDeps => ({
    db,
    releasePending: async () => ({ members: 0, points: 0 }),
    reviewTiers: async () => ({ reviewed: 0, downgraded: 0 }),
    dispatchOutbox: async () => ({ sent: 0, retried: 0, failed: 0 }),
    settings: () => app.plugin.services.settings.snapshot(),
    emails: app.plugin.services.emails,
    tierStatusesAt: (members, at) => app.plugin.services.tiers.statusesAt(members, at),
    churn: app.plugin.services.churn,
  });
  /** Two schedulers on two connection pools, like two instances. */
  const pair = (jobs: JobDefinition[], options: SchedulerOptions = {}) => [
    new Scheduler(app.plugin.db, deps(app.plugin.db), { owner: 'instance-a', heartbeatMs: 0, leaseMs: MINUTE, ...options, jobs }),
    new Scheduler(other.plugin.db, deps(other.plugin.db), { owner: 'instance-b', heartbeatMs: 0, leaseMs: MINUTE, ...options, jobs }),
  ] as const;
  const knex = () => app.plugin.db.knex;

  it('two instances racing one job and period: it runs exactly once', async () => {
    const p = probe('race');
    const [a, b] = pair([p.job]);
    const release = p.hold();
    const first = a.run('race');
    const second = b.run('race');
    // Let both claim before the job may finish, so the second meets a held lease.
    await new Promise((r) => setTimeout(r, 50));
    release();
    const outcomes = await Promise.all([first, second]);
    expect(p.calls).toHaveLength(1);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['done', 'skipped']);
    expect(outcomes.find((o) => o.status === 'skipped')).toMatchObject({ reason: 'busy' });
    // Later, either instance finds the period finished.
    expect(await b.run('race')).toMatchObject({ status: 'skipped', reason: 'already_done', counts: { done: 1 } });
    expect(await a.run('race')).toMatchObject({ status: 'skipped', reason: 'already_done' });
    expect(p.calls).toHaveLength(1);
    expect(await app.plugin.db.repos.jobs.findRun('race', 'p1')).toMatchObject({ state: 'done', attempts: 1, marker: 'm1' });
  });

  it('of many concurrent first claims of a lease, and of an expired one, exactly one wins', async () => {
    const claim = (i: number, job: string) =>
      (i % 2 ? other : app).plugin.db.repos.jobs.claimLease(job, `owner-${i}`, app.clock.now(), new Date(app.clock.now().getTime() + MINUTE));
    const first = await Promise.all(Array.from({ length: 8 }, (_, i) => claim(i, 'claim-race')));
    expect(first.filter(Boolean)).toHaveLength(1);
    app.clock.advance(MINUTE + 1);
    try {
      const again = await Promise.all(Array.from({ length: 8 }, (_, i) => claim(i + 8, 'claim-race')));
      expect(again.filter(Boolean)).toHaveLength(1);
    } finally {
      app.clock.advance(-(MINUTE + 1));
    }
  });

  it('the same instance never runs one job twice at once', async () => {
    const p = probe('solo', { cadence: continuous });
    const [a] = pair([p.job]);
    const release = p.hold();
    const first = a.run('solo');
    const second = await a.run('solo');
    release();
    expect(second).toMatchObject({ status: 'skipped', reason: 'busy' });
    expect(await first).toMatchObject({ status: 'done' });
  });

  it('a continuous job records no run row and leaves its lease free', async () => {
    const p = probe('tick', { cadence: continuous });
    const [a, b] = pair([p.job]);
    expect(await a.run('tick')).toMatchObject({ status: 'done', period: null });
    expect(await b.run('tick')).toMatchObject({ status: 'done' });
    expect(p.calls).toHaveLength(2);
    expect(Number((await knex()('loyalty_job_runs').where({ job: 'tick' }).count({ n: '*' }).first())?.n)).toBe(0);
    expect((await app.plugin.db.repos.jobs.findLease('tick'))?.leaseUntil.getTime()).toBe(0);
  });

  it("a crashed owner's lease is taken over once it expires, and its run resumes from the marker", async () => {
    const p = probe('crash');
    const [a] = pair([p.job]);
    const now = app.clock.now();
    // What a process killed mid-run leaves: its lease, and its run with the last checkpoint.
    await knex()('loyalty_job_leases').insert({ job: 'crash', owner: 'dead', lease_until: new Date(now.getTime() + MINUTE) });
    await knex()('loyalty_job_runs').insert({ job: 'crash', period: 'p1', state: 'running', owner: 'dead', attempts: 1, marker: 'm0', counts: '{"done":4}', started_at: now });
    expect(await a.run('crash')).toMatchObject({ status: 'skipped', reason: 'busy' });
    expect(p.calls).toHaveLength(0);
    app.clock.advance(MINUTE + 1);
    try {
      expect(await a.run('crash')).toMatchObject({ status: 'done', resumedFrom: 'm0', counts: { done: 5 } });
      expect(p.calls[0]?.resume).toEqual({ marker: 'm0', counts: { done: 4 } });
      expect(await app.plugin.db.repos.jobs.findRun('crash', 'p1')).toMatchObject({ state: 'done', owner: 'instance-a', attempts: 2 });
    } finally {
      app.clock.advance(-(MINUTE + 1));
    }
  });

  it('an owner whose lease was taken over stops at its next checkpoint and writes nothing more', async () => {
    const p = probe('fenced');
    const [a, b] = pair([p.job]);
    const release = p.hold();
    const slow = a.run('fenced');
    await until(() => p.calls.length === 1); // a holds the lease and is inside the job
    app.clock.advance(MINUTE + 1); // a's lease runs out: it missed its renewals
    try {
      const release2 = p.hold();
      const taker = b.run('fenced');
      await until(() => p.calls.length === 2);
      release();
      release2();
      expect(await slow).toMatchObject({ status: 'failed', error: expect.stringContaining('LeaseLostError') });
      expect(await taker).toMatchObject({ status: 'done' });
      expect(await app.plugin.db.repos.jobs.findRun('fenced', 'p1')).toMatchObject({ state: 'done', owner: 'instance-b', error: null });
    } finally {
      app.clock.advance(-(MINUTE + 1));
    }
  });

  it('a failed run is recorded with its error and retried from its marker', async () => {
    let fail = true;
    const job: JobDefinition = {
      name: 'flaky',
      schedule: '0 0 * * *',
      description: 'test',
      cadence: P1,
      async run(ctx) {
        await ctx.checkpoint(`${ctx.resume.marker ?? ''}x`, { n: 1 });
        if (fail) throw new Error('panel down');
        return { n: 2, from: ctx.resume.marker === 'x' ? 1 : 0 };
      },
    };
    const [a] = pair([job]);
    expect(await a.run('flaky')).toMatchObject({ status: 'failed', error: 'Error: panel down' });
    expect(await app.plugin.db.repos.jobs.findRun('flaky', 'p1')).toMatchObject({ state: 'failed', error: 'Error: panel down', marker: 'x', counts: { n: 1 } });
    fail = false;
    expect(await a.run('flaky')).toMatchObject({ status: 'done', counts: { n: 2, from: 1 } });
  });

  describe('expire-points across instances', () => {
    async function membersWithDueLots(count: number): Promise<number[]> {
      const ids: number[] = [];
      for (let i = 0; i < count; i++) {
        ids.push(
          await app.plugin.db.transaction(async (tx) => {
            const account = await MemberAccount.enrol(tx, { id: `sched-${Date.now()}-${i}-${Math.random()}` });
            for (const points of [10, 5]) {
              await account.credit({ kind: 'earn', points, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date(tx.now.getTime() - DAY + i) });
            }
            return account.member.id;
          }),
        );
      }
      return ids;
    }
    const expireEntries = async (ids: number[]) =>
      Number((await knex()('loyalty_ledger').whereIn('member_id', ids).andWhere({ kind: 'expire' }).count({ n: '*' }).first())?.n);

    it('two plugin instances run it at once: every member expires exactly once', async () => {
      const ids = await membersWithDueLots(6);
      const period = 'race-expire';
      const outcomes = await Promise.all([app.plugin.jobs.run('expire-points', { period }), other.plugin.jobs.run('expire-points', { period })]);
      expect(outcomes.filter((o) => o.status === 'done')).toHaveLength(1);
      expect(outcomes.find((o) => o.status === 'done')).toMatchObject({ counts: { members: 6, points: 90, lots: 12 } });
      expect(await expireEntries(ids)).toBe(6);
      for (const id of ids) expect((await app.plugin.db.repos.members.findById(id))?.pointsAvailable).toBe(0);
    });

    it('killed halfway, it resumes after its last batch and expires nothing twice', async () => {
      const ids = await membersWithDueLots(5);
      const real = expirePointsJob({ batchSize: 2 });
      let checkpoints = 0;
      // Dies after its second committed batch, as a SIGKILL between batches would leave it:
      // the third batch's checkpoint, inside its transaction, never comes, so it rolls back.
      const dying: JobDefinition = {
        ...real,
        run: (ctx) =>
          real.run({
            ...ctx,
            checkpoint: async (marker, counts, tx) => {
              if (++checkpoints === 3) throw new Error('killed');
              await ctx.checkpoint(marker, counts, tx);
            },
          }),
      };
      const period = 'resume-expire';
      const [a] = pair([dying]);
      expect(await a.run('expire-points', { period })).toMatchObject({ status: 'failed' });
      const stopped = await app.plugin.db.repos.jobs.findRun('expire-points', period);
      expect(stopped).toMatchObject({ state: 'failed', counts: { members: 2 } });
      expect(await expireEntries(ids)).toBe(2);

      const [, b] = pair([real]);
      const resumed = await b.run('expire-points', { period });
      expect(resumed).toMatchObject({ status: 'done', resumedFrom: stopped?.marker, counts: { members: 5, points: 75, lots: 10 } });
      expect(await expireEntries(ids)).toBe(5);
    });
  });
});
