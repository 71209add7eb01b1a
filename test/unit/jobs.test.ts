import cron from 'node-cron';
import manifest from '../../manifest.json';
import { planExpiry } from '../../plugin/domain/expiry-plan';
import { CronTable } from '../../plugin/jobs/cron-table';
import { dayIn } from '../../plugin/jobs/job-definition';
import type { JobSchedule } from '../../plugin/jobs/schedules';
import { JOBS } from '../../plugin/jobs/registry';

describe('declared jobs', () => {
  it('manifest.json lists exactly the declared jobs, with their schedules', () => {
    expect(manifest.jobs).toEqual(JOBS.map((j) => ({ name: j.name, schedule: j.schedule, description: j.description })));
  });

  it('have unique kebab-case names and valid cron schedules', () => {
    const names = JOBS.map((j) => j.name);
    expect(new Set(names).size).toBe(names.length);
    for (const job of JOBS) {
      expect(job.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect([job.name, cron.validate(job.schedule)]).toEqual([job.name, true]);
    }
  });

  it('key daily periods by the day in the program time zone', () => {
    const instant = new Date('2026-11-23T23:30:00Z');
    expect(dayIn(instant, 'UTC')).toBe('2026-11-23');
    expect(dayIn(instant, 'Asia/Tokyo')).toBe('2026-11-24');
    expect(dayIn(new Date('2026-11-23T03:00:00Z'), 'America/Los_Angeles')).toBe('2026-11-22');
    const expire = JOBS.find((j) => j.name === 'expire-points');
    expect(expire?.cadence.period(instant, 'Pacific/Kiritimati')).toBe('2026-11-24');
    expect(JOBS.find((j) => j.name === 'release-pending')?.cadence.period(instant, 'UTC')).toBeNull();
  });
});

describe('planExpiry', () => {
  const lot = (id: number, remaining: number, pending = false) => ({ id, remaining, pending });

  it.each([
    ['everything due, balance covers it', [lot(1, 30), lot(2, 20)], 80, { lotIds: [1, 2], fromLots: 50, points: 50 }],
    ['empty and pending lots are left alone', [lot(1, 0), lot(2, 10, true), lot(3, 5)], 5, { lotIds: [3], fromLots: 5, points: 5 }],
    ['a member in debt loses nothing more', [lot(1, 10)], -30, { lotIds: [1], fromLots: 10, points: 0 }],
    ['never below zero on inconsistent data', [lot(1, 10)], 4, { lotIds: [1], fromLots: 10, points: 4 }],
    ['nothing due', [], 100, { lotIds: [], fromLots: 0, points: 0 }],
  ])('%s', (_name, lots, available, plan) => {
    expect(planExpiry(lots, available)).toEqual(plan);
  });
});

describe('CronTable (the sidecar cron)', () => {
  it('schedules each job on its expression and zone, and replaces only the tasks whose schedule changed', async () => {
    let schedules: JobSchedule[] = [
      { name: 'a', cron: '* * * * *', timeZone: 'UTC' },
      { name: 'b', cron: '0 3 * * *', timeZone: 'UTC' },
    ];
    const made: Array<{ schedule: JobSchedule; stopped: boolean; fire: () => void }> = [];
    const ran: string[] = [];
    const table = new CronTable(
      async () => schedules,
      async (job) => {
        ran.push(job);
      },
      {
        scheduleTask: (schedule, run) => {
          const task = { schedule, stopped: false, fire: run };
          made.push(task);
          return { stop: () => void (task.stopped = true) };
        },
      },
    );
    await table.refresh();
    expect(made.map((t) => t.schedule)).toEqual(schedules);
    await table.refresh();
    expect(made).toHaveLength(2);
    schedules = [schedules[0] as JobSchedule, { name: 'b', cron: '0 3 * * *', timeZone: 'Pacific/Kiritimati' }];
    await table.refresh();
    expect(made.map((t) => [t.schedule.name, t.stopped])).toEqual([
      ['a', false],
      ['b', true],
      ['b', false],
    ]);
    made[2]?.fire();
    expect(ran).toEqual(['b']);
    expect(table.current).toEqual({ a: '* * * * *|UTC', b: '0 3 * * *|Pacific/Kiritimati' });
    // Settings that can't be read leave the running tasks alone.
    const keep = table.current;
    const broken = new CronTable(async () => Promise.reject(new Error('invalid settings')), async () => {}, { scheduleTask: () => ({ stop: () => {} }) });
    await broken.refresh();
    expect(broken.current).toEqual({});
    expect(table.current).toEqual(keep);
    await table.stop();
    expect(made.every((t) => t.stopped)).toBe(true);
  });
});
