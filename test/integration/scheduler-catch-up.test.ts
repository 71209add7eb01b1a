import { birthdayAndAnniversary } from '../../plugin/jobs/birthday-and-anniversary';
import { CronTable } from '../../plugin/jobs/cron-table';
import { expirePoints } from '../../plugin/jobs/expire-points';
import { daily, dayIn, lastMonth, type Cadence, type JobContext, type JobDefinition } from '../../plugin/jobs/job-definition';
import { Scheduler, type JobOutcome, type SchedulerOptions } from '../../plugin/jobs/scheduler';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';
import { testJobDeps } from '../support/jobs';
import { createLogger } from '../../plugin/logger';

const MINUTE = 60_000;
const NEW_YORK = 'America/New_York';
let n = 0;

/**
 * Daily jobs on the day clocks spring forward, and days nothing ran (issue 8 audit): node-cron
 * never fires a skipped wall time, so `7 2 * * *` had no run on 2027-03-14 in New York, and
 * nothing caught the day up. Now the cron runs it after the jump, and a scheduled run first
 * catches up every period since the last finished one (a month of days, a year of months at most).
 */
describe('scheduled runs across DST jumps and missed days', () => {
  /** A daily job that records each call, optionally failing once after its first checkpoint. */
  function probe(name: string, cadence: Cadence = daily) {
    const calls: Array<Pick<JobContext, 'period' | 'now'>> = [];
    let failNext = false;
    const job: JobDefinition = {
      name,
      schedule: '7 2 * * *',
      description: 'test probe',
      cadence,
      async run(ctx) {
        calls.push({ period: ctx.period, now: ctx.now });
        await ctx.checkpoint(`m${calls.length}`, { done: 1 });
        if (failNext) {
          failNext = false;
          throw new Error('panel down');
        }
        return { done: 1, resumed: ctx.resume.marker === null ? 0 : 1 };
      },
    };
    return {
      job,
      calls,
      failOnce: () => void (failNext = true),
      periods: () => calls.map((c) => `${c.period} ${c.now.toISOString()}`),
    };
  }

  describe('catching up missed periods', () => {
    let app: TestApp;
    let other: TestApp;
    beforeAll(async () => {
      app = await startTestApp();
      other = await startTestApp({ db: app.db, clock: app.clock });
    });
    afterEach(() => expectBalancesConsistent(app.plugin));
    afterAll(async () => {
      await other.stop();
      await app.close();
    });

    const scheduler = (jobs: JobDefinition[], target: TestApp = app, options: SchedulerOptions = {}) =>
      new Scheduler(target.plugin.db, testJobDeps(target.plugin), { owner: `instance-${target === app ? 'a' : 'b'}`, heartbeatMs: 0, timeZone: NEW_YORK, jobs, ...options });
    /** Runs `body` with the clock at `at`, and puts it back. */
    async function at<T>(instant: string, body: () => Promise<T>): Promise<T> {
      const saved = app.clock.current;
      app.clock.current = new Date(instant);
      try {
        return await body();
      } finally {
        app.clock.current = saved;
      }
    }
    const run = (job: string, period: string) => app.plugin.db.repos.jobs.findRun(job, period);

    it('a day with no run (its fire time skipped, or every instance down) is run as of its end before the next day', async () => {
      const p = probe('catch-up-day');
      const a = scheduler([p.job]);
      expect(await at('2027-03-13T07:07:00Z', () => a.run('catch-up-day'))).toMatchObject({ status: 'done', period: '2027-03-13' });
      // No run on the 14th; the 15th's first catches the 14th up, as of its end (midnight EDT).
      expect(await at('2027-03-15T06:07:00Z', () => a.run('catch-up-day'))).toMatchObject({ status: 'done', period: '2027-03-15' });
      expect(p.periods()).toEqual(['2027-03-13 2027-03-13T07:07:00.000Z', '2027-03-14 2027-03-15T04:00:00.000Z', '2027-03-15 2027-03-15T06:07:00.000Z']);
      for (const day of ['2027-03-13', '2027-03-14', '2027-03-15']) expect(await run('catch-up-day', day)).toMatchObject({ state: 'done', attempts: 1 });
      // A later run of the day finds both periods done: nothing more.
      expect(await at('2027-03-15T20:00:00Z', () => a.run('catch-up-day'))).toMatchObject({ status: 'skipped', reason: 'already_done' });
      expect(p.calls).toHaveLength(3);
    });

    it("a job's first run ever catches nothing up, and neither does a run of a named period", async () => {
      const p = probe('first-ever');
      const a = scheduler([p.job]);
      expect(await at('2027-03-15T06:07:00Z', () => a.run('first-ever'))).toMatchObject({ status: 'done', period: '2027-03-15' });
      expect(await at('2027-03-18T06:07:00Z', () => a.run('first-ever', { period: '2027-03-17' }))).toMatchObject({ status: 'done', period: '2027-03-17' });
      expect(p.calls.map((c) => c.period)).toEqual(['2027-03-15', '2027-03-17']);
      expect(await run('first-ever', '2027-03-14')).toBeNull();
      expect(await run('first-ever', '2027-03-16')).toBeNull();
    });

    it('a previous day whose run failed is resumed from its marker, once, before today', async () => {
      const p = probe('catch-up-failed');
      const a = scheduler([p.job]);
      await at('2027-03-13T07:07:00Z', () => a.run('catch-up-failed'));
      p.failOnce();
      expect(await at('2027-03-14T07:00:00Z', () => a.run('catch-up-failed'))).toMatchObject({ status: 'failed', period: '2027-03-14' });
      expect(await at('2027-03-15T06:07:00Z', () => a.run('catch-up-failed'))).toMatchObject({ status: 'done', period: '2027-03-15' });
      expect(await run('catch-up-failed', '2027-03-14')).toMatchObject({ state: 'done', attempts: 2, counts: { done: 1, resumed: 1 } });
      expect(p.calls.map((c) => c.period)).toEqual(['2027-03-13', '2027-03-14', '2027-03-14', '2027-03-15']);
    });

    it('two instances firing at once: the missed day and today each run exactly once', async () => {
      const p = probe('catch-up-race');
      const [a, b] = [scheduler([p.job]), scheduler([p.job], other)];
      await at('2027-03-13T07:07:00Z', () => a.run('catch-up-race'));
      const outcomes = await at('2027-03-15T06:07:00Z', () => Promise.all([a.run('catch-up-race'), b.run('catch-up-race'), a.run('catch-up-race')]));
      expect(outcomes.filter((o) => o.status === 'done')).toHaveLength(1);
      expect(p.calls.map((c) => c.period)).toEqual(['2027-03-13', '2027-03-14', '2027-03-15']);
      expect(await at('2027-03-15T06:08:00Z', () => b.run('catch-up-race'))).toMatchObject({ status: 'skipped', reason: 'already_done' });
      expect(p.calls).toHaveLength(3);
    });

    it('a monthly job catches up the month before its period (statements missed on the 1st)', async () => {
      const p = probe('catch-up-month', lastMonth);
      const a = scheduler([p.job]);
      await at('2027-02-01T12:17:00Z', () => a.run('catch-up-month'));
      await at('2027-04-01T11:17:00Z', () => a.run('catch-up-month'));
      expect(p.periods()).toEqual(['2027-01 2027-02-01T12:17:00.000Z', '2027-02 2027-03-01T05:00:00.000Z', '2027-03 2027-04-01T11:17:00.000Z']);
    });

    it('a 3-day outage: each missed day runs once, oldest first, as of its end, then today; running again changes nothing', async () => {
      const p = probe('outage');
      const a = scheduler([p.job]);
      await at('2027-04-09T06:07:00Z', () => a.run('outage'));
      // Every instance down on the 10th, 11th and 12th (EDT, UTC-4).
      expect(await at('2027-04-13T06:07:00Z', () => a.run('outage'))).toMatchObject({ status: 'done', period: '2027-04-13' });
      expect(p.periods()).toEqual([
        '2027-04-09 2027-04-09T06:07:00.000Z',
        '2027-04-10 2027-04-11T04:00:00.000Z',
        '2027-04-11 2027-04-12T04:00:00.000Z',
        '2027-04-12 2027-04-13T04:00:00.000Z',
        '2027-04-13 2027-04-13T06:07:00.000Z',
      ]);
      for (const day of ['2027-04-10', '2027-04-11', '2027-04-12', '2027-04-13']) expect(await run('outage', day)).toMatchObject({ state: 'done', attempts: 1 });
      expect(await at('2027-04-13T07:00:00Z', () => a.run('outage'))).toMatchObject({ status: 'skipped', reason: 'already_done' });
      expect(await at('2027-04-13T07:00:00Z', () => a.resumeInterrupted())).toEqual([]);
      expect(await at('2027-04-14T06:07:00Z', () => a.run('outage'))).toMatchObject({ status: 'done', period: '2027-04-14' });
      expect(p.calls).toHaveLength(6);
    });

    it('two instances firing after an outage: every missed day and today run exactly once', async () => {
      const p = probe('outage-race');
      const [a, b] = [scheduler([p.job]), scheduler([p.job], other)];
      await at('2027-04-09T06:07:00Z', () => a.run('outage-race'));
      const outcomes = await at('2027-04-13T06:07:00Z', () => Promise.all([b.run('outage-race'), a.run('outage-race'), b.run('outage-race')]));
      expect(outcomes.filter((o) => o.status === 'done')).toHaveLength(1);
      expect(p.calls.map((c) => c.period)).toEqual(['2027-04-09', '2027-04-10', '2027-04-11', '2027-04-12', '2027-04-13']);
    });

    it('an outage longer than a month: the last 31 days are caught up, and the older ones are logged with the command that runs them', async () => {
      const p = probe('outage-long');
      const warnings: Array<{ msg: string; notCaughtUp?: unknown }> = [];
      const logger = createLogger('warn', { write: (line: string) => void warnings.push(JSON.parse(line) as { msg: string }) });
      const a = new Scheduler(app.plugin.db, { ...testJobDeps(app.plugin), logger }, { owner: 'long', heartbeatMs: 0, timeZone: NEW_YORK, jobs: [p.job] });
      await at('2027-04-01T06:07:00Z', () => a.run('outage-long'));
      // Down from 2 April to 14 May: 43 days.
      await at('2027-05-15T06:07:00Z', () => a.run('outage-long'));
      const periods = p.calls.map((c) => c.period);
      expect(periods).toHaveLength(1 + 31 + 1);
      expect(periods.slice(0, 3)).toEqual(['2027-04-01', '2027-04-14', '2027-04-15']);
      expect(periods.slice(-2)).toEqual(['2027-05-14', '2027-05-15']);
      expect(await run('outage-long', '2027-04-13')).toBeNull();
      expect(await run('outage-long', '2027-04-02')).toBeNull();
      const warned = warnings.filter((w) => w.msg.includes('npm run job -- outage-long --period 2027-04-13'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ notCaughtUp: { since: 'after 2027-04-01', through: '2027-04-13' } });
      // The days caught up are done: the next day catches nothing more up.
      await at('2027-05-16T06:07:00Z', () => a.run('outage-long'));
      expect(p.calls.map((c) => c.period).slice(33)).toEqual(['2027-05-16']);
    });

    it('a monthly job down for months catches each month up, a year at most', async () => {
      const p = probe('outage-months', lastMonth);
      const a = scheduler([p.job]);
      await at('2027-02-01T12:17:00Z', () => a.run('outage-months'));
      await at('2027-06-01T11:17:00Z', () => a.run('outage-months'));
      expect(p.calls.map((c) => c.period)).toEqual(['2027-01', '2027-02', '2027-03', '2027-04', '2027-05']);
      // Down from June 2027 to May 2029: 2027-06 to 2029-03 missed (22 months), the last 12 caught up.
      await at('2029-05-01T11:17:00Z', () => a.run('outage-months'));
      expect(p.calls.map((c) => c.period).slice(5)).toEqual([
        '2028-04', '2028-05', '2028-06', '2028-07', '2028-08', '2028-09', '2028-10', '2028-11', '2028-12', '2029-01', '2029-02', '2029-03', '2029-04',
      ]);
    });

    it('a job that never finished a period catches up from its first run', async () => {
      const p = probe('never-done');
      const a = scheduler([p.job]);
      p.failOnce();
      expect(await at('2027-04-20T06:07:00Z', () => a.run('never-done'))).toMatchObject({ status: 'failed', period: '2027-04-20' });
      expect(await at('2027-04-22T06:07:00Z', () => a.run('never-done'))).toMatchObject({ status: 'done', period: '2027-04-22' });
      expect(p.calls.map((c) => c.period)).toEqual(['2027-04-20', '2027-04-20', '2027-04-21', '2027-04-22']);
      expect(await run('never-done', '2027-04-20')).toMatchObject({ state: 'done', attempts: 2, counts: { resumed: 1 } });
      expect(await run('never-done', '2027-04-19')).toBeNull();
    });

    it('the caught-up day of expire-points expires what was due by its end, counted in its own run', async () => {
      const a = scheduler([expirePoints], app, { owner: 'expire-a' });
      const id = await app.plugin.db.transaction(async (tx) => {
        const account = await MemberAccount.enrol(tx, { id: `catch-up-${++n}` });
        await account.credit({ kind: 'earn', points: 40, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date('2027-03-14T18:00:00Z') });
        return account.member.id;
      });
      await at('2027-03-13T07:07:00Z', () => a.run('expire-points'));
      expect(await at('2027-03-15T06:07:00Z', () => a.run('expire-points'))).toMatchObject({ status: 'done', period: '2027-03-15', counts: { members: 0 } });
      expect(await run('expire-points', '2027-03-14')).toMatchObject({ state: 'done', counts: { members: 1, points: 40, lots: 1 } });
      expect((await app.plugin.db.repos.members.findById(id))?.pointsAvailable).toBe(0);
    });
  });

  /**
   * The audit's scenario end to end: the sidecar's CronTable on real node-cron, the Scheduler and
   * the real jobs on the database, under fake timers moved a minute at a time for 72 hours.
   */
  describe('the sidecar cron on the database, a minute at a time', () => {
    let app: TestApp;
    beforeAll(async () => {
      // The plugin's clock is Date, which the fake timers move.
      app = await startTestApp({ realTime: true });
      await app.plugin.services.program.update({ birthday_bonus: { active: true, points: 100 }, anniversary_bonus: { active: false, points_per_year: 1 } });
    });
    beforeEach(async () => {
      // Each scenario is a fresh install: no lease, no runs.
      await app.plugin.db.knex('loyalty_job_runs').delete();
      await app.plugin.db.knex('loyalty_job_leases').delete();
    });
    afterEach(async () => {
      jest.useRealTimers();
      await expectBalancesConsistent(app.plugin);
    });
    afterAll(() => app.close());

    /** Runs the cron from `start` for `hours`, waiting for each run it starts; the periods expire-points ran, with when. */
    async function cron(timeZone: string, start: string, hours: number, schedules: Record<string, string> = {}) {
      const ran: string[] = [];
      const counted: JobDefinition = {
        ...expirePoints,
        run: (ctx) => {
          ran.push(`${ctx.period} ${dayIn(new Date(), timeZone)} ${new Date().toISOString()}`);
          return expirePoints.run(ctx);
        },
      };
      // Timers and Date only: the database drivers need the real event loop.
      jest.useFakeTimers({ now: new Date(start), doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'performance', 'hrtime'] });
      const scheduler = new Scheduler(app.plugin.db, testJobDeps(app.plugin), {
        owner: 'sidecar',
        heartbeatMs: 0,
        jobs: [counted, birthdayAndAnniversary],
        settings: async () => ({ time_zone: timeZone, job_schedules: schedules }),
      });
      const pending = new Set<Promise<JobOutcome>>();
      const table = new CronTable(
        () => scheduler.schedules(),
        async (job) => {
          const running = scheduler.run(job);
          pending.add(running);
          await running.finally(() => pending.delete(running));
        },
      );
      await table.refresh();
      try {
        for (let i = 0; i < hours * 60; i++) {
          await jest.advanceTimersByTimeAsync(MINUTE);
          while (pending.size > 0) await Promise.all(pending);
        }
      } finally {
        await table.stop();
      }
      return ran;
    }

    async function member(birthday?: string, expiresAt?: string): Promise<number> {
      return app.plugin.db.transaction(async (tx) => {
        const account = await MemberAccount.enrol(tx, { id: `dst-${++n}`, ...(birthday && { birthday }) });
        if (expiresAt) await account.credit({ kind: 'earn', points: 25, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date(expiresAt) });
        return account.member.id;
      });
    }
    const runOf = (job: string, period: string) => app.plugin.db.repos.jobs.findRun(job, period);

    it('America/New_York: expire-points runs for 2027-03-14 that day, at 03:00, and a 02:30 birthday override gives that day\'s birthdays', async () => {
      // Due at 01:30 EST on the 14th: the 14th's run expires it.
      const expiring = await member(undefined, '2027-03-14T06:30:00Z');
      const birthday = await member('1990-03-14');
      const ran = await cron(NEW_YORK, '2027-03-12T12:00:00Z', 72, { 'birthday-and-anniversary': '30 2 * * *' });
      expect(ran).toEqual([
        '2027-03-13 2027-03-13 2027-03-13T07:07:00.000Z',
        '2027-03-14 2027-03-14 2027-03-14T07:00:00.000Z',
        '2027-03-15 2027-03-15 2027-03-15T06:07:00.000Z',
      ]);
      expect(await runOf('expire-points', '2027-03-14')).toMatchObject({ state: 'done', attempts: 1, counts: { members: 1, points: 25 } });
      expect(await runOf('birthday-and-anniversary', '2027-03-14')).toMatchObject({ state: 'done', attempts: 1, counts: { birthday: 1, points: 100 } });
      expect((await app.plugin.db.repos.members.findById(expiring))?.pointsAvailable).toBe(0);
      const bonuses = await app.plugin.db.knex('loyalty_ledger').where({ member_id: birthday, kind: 'bonus' }).select('reference');
      expect(bonuses.map((b: { reference: string }) => b.reference)).toEqual(['birthday:2027']);
    });

    it('Europe/Berlin: expire-points runs for 2027-03-28 that day, at 03:00 CEST', async () => {
      const ran = await cron('Europe/Berlin', '2027-03-26T12:00:00Z', 72);
      expect(ran).toEqual([
        '2027-03-27 2027-03-27 2027-03-27T01:07:00.000Z',
        '2027-03-28 2027-03-28 2027-03-28T01:00:00.000Z',
        '2027-03-29 2027-03-29 2027-03-29T00:07:00.000Z',
      ]);
      for (const day of ['2027-03-27', '2027-03-28', '2027-03-29']) expect(await runOf('expire-points', day)).toMatchObject({ state: 'done', attempts: 1 });
    });

    it('falling back (Berlin 2027-10-31, 02:00–03:00 twice): once that day', async () => {
      expect((await cron('Europe/Berlin', '2027-10-29T12:00:00Z', 72)).map((r) => r.slice(0, 10))).toEqual(['2027-10-30', '2027-10-31', '2027-11-01']);
      expect(await runOf('expire-points', '2027-10-31')).toMatchObject({ state: 'done', attempts: 1 });
    });

    it('falling back (New York 2027-11-07, an override at 01:30, in the repeated hour): once that day', async () => {
      const ran = await cron(NEW_YORK, '2027-11-05T12:00:00Z', 72, { 'expire-points': '30 1 * * *' });
      expect(ran.map((r) => r.slice(0, 10))).toEqual(['2027-11-06', '2027-11-07', '2027-11-08']);
      expect(await runOf('expire-points', '2027-11-07')).toMatchObject({ state: 'done', attempts: 1 });
    });
  });
});
