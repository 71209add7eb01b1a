import { birthdayAndAnniversaryJob } from '../../plugin/jobs/birthday-and-anniversary';
import { CronTable } from '../../plugin/jobs/cron-table';
import type { JobContext, JobDefinition } from '../../plugin/jobs/job-definition';
import { Scheduler, type JobOutcome } from '../../plugin/jobs/scheduler';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, tableCounts, type TestApp } from '../support/harness';
import { testJobDeps } from '../support/jobs';

const MINUTE = 60_000;
const LEASE = 5 * MINUTE;
const JOB = 'birthday-and-anniversary';
let n = 0;

/**
 * An instance that dies, or is stopped, in the middle of a job's run (issues 8 and 15): another
 * instance takes the run over once the lease has run out, from its last committed batch, within
 * the lease and a minute: not at the job's next fire time (a day later, a month for statements).
 * Two plugin instances on one database, each with the sidecar's cron (CronTable on node-cron)
 * under fake timers, running the real birthday job in batches of 2.
 */
describe('a run whose instance dies or stops is taken over', () => {
  let app: TestApp;
  let other: TestApp;
  beforeAll(async () => {
    // The plugin's clock is Date, which the fake timers move.
    app = await startTestApp({ realTime: true });
    other = await startTestApp({ db: app.db, realTime: true });
    await app.plugin.services.program.update({ birthday_bonus: { active: true, points: 100 }, anniversary_bonus: { active: false, points_per_year: 1 } });
  });
  beforeEach(async () => {
    await app.plugin.db.knex('loyalty_job_runs').delete();
    await app.plugin.db.knex('loyalty_job_leases').delete();
  });
  afterEach(async () => {
    jest.useRealTimers();
    await expectBalancesConsistent(app.plugin);
  });
  afterAll(async () => {
    await other.stop();
    await app.close();
  });

  /** Timers and Date only: the database drivers need the real event loop. */
  const clockAt = (iso: string) =>
    jest.useFakeTimers({ now: new Date(iso), doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'performance', 'hrtime'] });
  const inner = birthdayAndAnniversaryJob({ batchSize: 2 });
  const settings = (schedules: Record<string, string> = {}) => async () => ({ time_zone: 'UTC', job_schedules: schedules });
  const scheduler = (instance: TestApp, owner: string, job: JobDefinition = inner, schedules: Record<string, string> = {}) =>
    new Scheduler(instance.plugin.db, testJobDeps(instance.plugin, instance.plugin.db), { owner, leaseMs: LEASE, heartbeatMs: 0, jobs: [job], settings: settings(schedules) });

  /**
   * The job as a process killed after its first batch committed: its next checkpoint outside a
   * transaction never returns, and it renews nothing again (a SIGKILL leaves exactly that).
   */
  function killedAfterFirstBatch(): { job: JobDefinition; dead: Promise<void> } {
    let died: () => void = () => {};
    const dead = new Promise<void>((resolve) => (died = resolve));
    const job: JobDefinition = {
      ...inner,
      run: (ctx: JobContext) =>
        inner.run({
          ...ctx,
          checkpoint: (marker, counts, tx) => (tx ? ctx.checkpoint(marker, counts, tx) : (died(), new Promise<void>(() => {}))),
        }),
    };
    return { job, dead };
  }

  /** An instance's sidecar cron; `settle` waits for the runs and resumptions it has started. */
  function sidecar(s: Scheduler) {
    const pending = new Set<Promise<unknown>>();
    const resumed: JobOutcome[] = [];
    const track = <T>(p: Promise<T>) => {
      pending.add(p);
      void p.finally(() => pending.delete(p));
      return p;
    };
    const table = new CronTable(
      () => s.schedules(),
      async (job) => void (await track(s.run(job))),
      { resumeInterrupted: () => track(s.resumeInterrupted().then((o) => void resumed.push(...o))) },
    );
    return {
      table,
      resumed,
      async settle() {
        while (pending.size > 0) await Promise.all(pending);
      },
    };
  }

  async function members(birthday: string, count: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(await app.plugin.db.transaction(async (tx) => (await MemberAccount.enrol(tx, { id: `takeover-${++n}`, birthday })).member.id));
    }
    return ids;
  }
  const bonuses = async (ids: number[]) => {
    const rows: Array<{ member_id: number; c: number | string }> = await app.plugin.db
      .knex('loyalty_ledger')
      .whereIn('member_id', ids)
      .andWhere({ kind: 'bonus' })
      .groupBy('member_id')
      .select('member_id')
      .count({ c: '*' });
    const by = new Map(rows.map((r) => [Number(r.member_id), Number(r.c)]));
    return ids.map((id) => by.get(id) ?? 0);
  };
  const runOf = (period: string) => app.plugin.db.repos.jobs.findRun(JOB, period);

  /** Moves the fake clock a minute at a time until `until`, letting each minute's runs finish; the first instant `done` held. */
  async function minutes(until: string, done: () => Promise<boolean>, ...sidecars: Array<ReturnType<typeof sidecar>>): Promise<string | null> {
    let at: string | null = null;
    // Counted, not read off the clock: after a timeout restores the real timers, a loop on Date.now() would spin for ever.
    for (let left = Math.ceil((Date.parse(until) - Date.now()) / MINUTE); left > 0; left--) {
      await jest.advanceTimersByTimeAsync(MINUTE);
      for (const s of sidecars) await s.settle();
      if (at === null && (await done())) at = new Date().toISOString();
    }
    return at;
  }

  it('killed after a batch: the other instance resumes the run after the lease runs out, within a minute, and nobody gets a bonus twice', async () => {
    const ids = await members('1990-03-10', 6);
    const b = scheduler(other, 'b');
    clockAt('2027-03-09T08:41:00Z');
    expect(await b.run(JOB)).toMatchObject({ status: 'done', period: '2027-03-09' });

    clockAt('2027-03-10T08:41:00Z');
    const { job, dead } = killedAfterFirstBatch();
    void scheduler(app, 'a', job).run(JOB);
    await dead;
    expect(await bonuses(ids)).toEqual([1, 1, 0, 0, 0, 0]);
    // B's own fire the same minute finds A's lease.
    expect(await b.run(JOB)).toMatchObject({ status: 'skipped', reason: 'busy' });

    const cron = sidecar(b);
    await cron.table.start();
    try {
      const doneAt = await minutes('2027-03-10T09:00:00Z', async () => (await runOf('2027-03-10'))?.state === 'done', cron);
      // A's lease held to 08:46 (its last renewal at 08:41 plus 5 minutes); B's next tick took over.
      expect(doneAt).toBe('2027-03-10T08:47:00.000Z');
    } finally {
      await cron.table.stop();
    }
    expect(await bonuses(ids)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(await runOf('2027-03-10')).toMatchObject({ state: 'done', owner: 'b', attempts: 2, counts: { birthday: 6, points: 600 } });
    expect(cron.resumed).toEqual([expect.objectContaining({ period: '2027-03-10', status: 'done', resumedFrom: expect.stringMatching(/^0\|\d+$/) })]);

    // Again, by either instance: nothing changes.
    const before = await tableCounts(app.plugin);
    expect(await b.resumeInterrupted()).toEqual([]);
    expect(await scheduler(app, 'a2').run(JOB)).toMatchObject({ status: 'skipped', reason: 'already_done' });
    expect(await tableCounts(app.plugin)).toEqual(before);
  });

  it('stopped for a shutdown mid-run: it gives its lease back, and the other instance resumes it without waiting for the lease to run out', async () => {
    const ids = await members('1990-03-17', 6);
    const b = scheduler(other, 'b');
    clockAt('2027-03-16T08:41:00Z');
    await b.run(JOB);

    clockAt('2027-03-17T08:41:00Z');
    let a: Scheduler | undefined;
    let stopped = false;
    const stopping: JobDefinition = {
      ...inner,
      // SIGTERM arrives after the first batch: the scheduler stops the run at that checkpoint.
      run: (ctx) =>
        inner.run({
          ...ctx,
          checkpoint: (marker, counts, tx) => {
            if (!tx && !stopped) {
              stopped = true;
              void a?.stop();
            }
            return ctx.checkpoint(marker, counts, tx);
          },
        }),
    };
    a = scheduler(app, 'a', stopping);
    expect(await a.run(JOB)).toMatchObject({ status: 'failed', error: expect.stringContaining('RunInterruptedError') });
    expect(await bonuses(ids)).toEqual([1, 1, 0, 0, 0, 0]);
    // Left running for whoever comes next, and the lease given back.
    expect(await runOf('2027-03-17')).toMatchObject({ state: 'running', owner: 'a', marker: expect.stringMatching(/^0\|\d+$/) });
    expect((await app.plugin.db.repos.jobs.findLease(JOB))?.leaseUntil.getTime()).toBe(0);

    const cron = sidecar(b);
    await cron.table.start();
    try {
      // Its start already finds it: the lease is free.
      await cron.settle();
      expect(await bonuses(ids)).toEqual([1, 1, 1, 1, 1, 1]);
    } finally {
      await cron.table.stop();
    }
    expect(await runOf('2027-03-17')).toMatchObject({ state: 'done', owner: 'b', attempts: 2, counts: { birthday: 6 } });
  });

  it('killed while catching up a missed day: the other instance does that day and today within the lease and a minute, not the next day', async () => {
    const missed = await members('1990-03-20', 4);
    const today = await members('1990-03-21', 3);
    const b = scheduler(other, 'b');
    clockAt('2027-03-19T08:41:00Z');
    await b.run(JOB);

    // Every instance down on the 20th; on the 21st A catches the 20th up and dies in it.
    clockAt('2027-03-21T08:41:00Z');
    const { job, dead } = killedAfterFirstBatch();
    void scheduler(app, 'a', job).run(JOB);
    await dead;
    expect(await bonuses([...missed, ...today])).toEqual([1, 1, 0, 0, 0, 0, 0]);
    // Both days were recorded before A started: today waits as a run nobody has started.
    expect(await runOf('2027-03-21')).toMatchObject({ state: 'running', owner: 'a', attempts: 0 });

    const cron = sidecar(b);
    await cron.table.start();
    try {
      const doneAt = await minutes('2027-03-21T09:00:00Z', async () => (await runOf('2027-03-21'))?.state === 'done', cron);
      expect(doneAt).toBe('2027-03-21T08:47:00.000Z');
    } finally {
      await cron.table.stop();
    }
    expect(await bonuses([...missed, ...today])).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(await runOf('2027-03-20')).toMatchObject({ state: 'done', attempts: 2, counts: { birthday: 4 } });
    expect(await runOf('2027-03-21')).toMatchObject({ state: 'done', attempts: 1, counts: { birthday: 3 } });
    expect(cron.resumed.map((o) => `${o.period} ${o.status}`)).toEqual(['2027-03-20 done', '2027-03-21 done']);
  });

  it('a restarted instance resumes its own killed run at start, once the lease has run out', async () => {
    const ids = await members('1990-03-24', 5);
    clockAt('2027-03-23T08:41:00Z');
    await scheduler(app, 'a-old').run(JOB);
    clockAt('2027-03-24T08:41:00Z');
    const { job, dead } = killedAfterFirstBatch();
    void scheduler(app, 'a-old', job).run(JOB);
    await dead;
    // Back up 10 minutes later under a new owner (a new process), and before its first tick.
    jest.setSystemTime(new Date('2027-03-24T08:51:00Z'));
    const cron = sidecar(scheduler(app, 'a-new'));
    await cron.table.start();
    try {
      await cron.settle();
      expect(await bonuses(ids)).toEqual([1, 1, 1, 1, 1]);
    } finally {
      await cron.table.stop();
    }
    expect(await runOf('2027-03-24')).toMatchObject({ state: 'done', owner: 'a-new', attempts: 2 });
  });

  it('a scheduled run that finds the lease taken by a run of another period gets its day run as soon as that one lets go', async () => {
    const old = await members('1990-05-01', 2);
    const ids = await members('1990-05-03', 2);
    clockAt('2027-05-02T08:41:00Z');
    const b = scheduler(other, 'b');
    await b.run(JOB);
    clockAt('2027-05-03T08:41:00Z');
    // An operator runs 1 May by hand; it is in its first batch when B's cron fires for today.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => {};
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const held: JobDefinition = {
      ...inner,
      async run(ctx) {
        entered();
        await gate;
        return inner.run(ctx);
      },
    };
    const byHand = scheduler(app, 'operator', held).run(JOB, { period: '2027-05-01' });
    await inside;
    expect(await b.run(JOB)).toMatchObject({ status: 'skipped', reason: 'busy', period: '2027-05-03' });
    release();
    expect(await byHand).toMatchObject({ status: 'done', period: '2027-05-01', counts: { birthday: 2 } });

    const cron = sidecar(b);
    await cron.table.start();
    try {
      await cron.settle();
    } finally {
      await cron.table.stop();
    }
    expect(await bonuses([...old, ...ids])).toEqual([1, 1, 1, 1]);
    expect(await runOf('2027-05-03')).toMatchObject({ state: 'done', owner: 'b', attempts: 1, counts: { birthday: 2 } });
  });

  // Three days of minutes, each with the resumption check's read: slow on a loaded machine.
  it("a weekday-only schedule: Saturday's and Sunday's birthdays are given on Monday, each in its own day's run, once", async () => {
    const saturday = await members('1991-04-03', 2);
    const sunday = await members('1991-04-04', 1);
    const monday = await members('1991-04-05', 1);
    const weekdays = { [JOB]: '41 8 * * 1-5' };
    clockAt('2027-04-02T08:30:00Z'); // a Friday
    // One instance: on SQLite two pools in one process can't wait for each other's transactions.
    // The cron's fire times alone (no resumption ticks): the weekend comes from Monday's catch-up.
    const cron = sidecar(scheduler(app, 'a', inner, weekdays));
    await cron.table.refresh();
    try {
      await minutes('2027-04-05T08:50:00Z', async () => false, cron);
    } finally {
      await cron.table.stop();
    }
    expect(await bonuses([...saturday, ...sunday, ...monday])).toEqual([1, 1, 1, 1]);
    const runs: Array<{ period: string; state: string; attempts: number; started_at: unknown }> = await app.plugin.db
      .knex('loyalty_job_runs')
      .where({ job: JOB })
      .orderBy('period')
      .select('period', 'state', 'attempts', 'started_at');
    expect(runs.map((r) => `${r.period} ${r.state} ${r.attempts}`)).toEqual([
      '2027-04-02 done 1',
      '2027-04-03 done 1',
      '2027-04-04 done 1',
      '2027-04-05 done 1',
    ]);
    expect(await runOf('2027-04-03')).toMatchObject({ counts: { birthday: 2 } });
    expect(await runOf('2027-04-04')).toMatchObject({ counts: { birthday: 1 } });
    // The weekend ran on Monday at the fire time, not over the weekend.
    expect((await runOf('2027-04-03'))?.startedAt.toISOString()).toBe('2027-04-05T08:41:00.000Z');
  }, 300_000);
});
