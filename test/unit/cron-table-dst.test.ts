import { CronTable } from '../../plugin/jobs/cron-table';
import { dayIn } from '../../plugin/jobs/job-definition';

const MINUTE = 60_000;

/**
 * The sidecar's real cron (CronTable on node-cron) across DST changes, under fake timers moved
 * a minute at a time, as the audit of issue 8 reproduced it: node-cron never fires a wall time
 * the clocks skip, so a daily job at 02:07 had no run on the day clocks spring forward.
 */
describe('CronTable across DST changes', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  /** Each firing of one schedule over `hours` from `start`, as "<day in the zone> <UTC instant>". */
  async function firings(cron: string, timeZone: string, start: string, hours = 72): Promise<string[]> {
    jest.useFakeTimers({ now: new Date(start) });
    const fired: string[] = [];
    const table = new CronTable(
      async () => [{ name: 'job', cron, timeZone }],
      async () => {
        const now = new Date();
        fired.push(`${dayIn(now, timeZone)} ${now.toISOString()}`);
      },
    );
    await table.refresh();
    try {
      for (let i = 0; i < hours * 60; i++) await jest.advanceTimersByTimeAsync(MINUTE);
    } finally {
      await table.stop();
    }
    return fired;
  }

  it('America/New_York: expire-points (7 2 * * *) runs on the day 02:00–03:00 is skipped, at 03:00, the first minute after the jump', async () => {
    expect(await firings('7 2 * * *', 'America/New_York', '2027-03-12T12:00:00Z')).toEqual([
      '2027-03-13 2027-03-13T07:07:00.000Z',
      '2027-03-14 2027-03-14T07:00:00.000Z',
      '2027-03-15 2027-03-15T06:07:00.000Z',
    ]);
  });

  it('Europe/Berlin: expire-points runs on 2027-03-28 at 03:00 CEST', async () => {
    expect(await firings('7 2 * * *', 'Europe/Berlin', '2027-03-26T12:00:00Z')).toEqual([
      '2027-03-27 2027-03-27T01:07:00.000Z',
      '2027-03-28 2027-03-28T01:00:00.000Z',
      '2027-03-29 2027-03-29T00:07:00.000Z',
    ]);
  });

  it('an override in the gap (birthday-and-anniversary at 30 2 * * *) runs that day too', async () => {
    expect(await firings('30 2 * * *', 'America/New_York', '2027-03-13T12:00:00Z', 24)).toEqual(['2027-03-14 2027-03-14T07:00:00.000Z']);
  });

  it('America/Santiago skips midnight itself: a job at 0 0 * * * runs that day at 01:00', async () => {
    expect(await firings('0 0 * * *', 'America/Santiago', '2027-09-04T12:00:00Z', 48)).toEqual([
      '2027-09-05 2027-09-05T04:00:00.000Z',
      '2027-09-06 2027-09-06T03:00:00.000Z',
    ]);
  });

  it('a time after the gap, and a job that runs through it, fire as before: nothing twice', async () => {
    expect(await firings('0 3 * * *', 'America/New_York', '2027-03-13T12:00:00Z', 24)).toEqual(['2027-03-14 2027-03-14T07:00:00.000Z']);
    const halfHourly = await firings('*/30 * * * *', 'America/New_York', '2027-03-14T05:45:00Z', 3);
    // 01:00 and 01:30 EST, then 03:00 (once, though 02:00 and 02:30 were skipped) up to 04:30 EDT.
    expect(halfHourly.map((f) => f.slice(11))).toEqual([
      '2027-03-14T06:00:00.000Z',
      '2027-03-14T06:30:00.000Z',
      '2027-03-14T07:00:00.000Z',
      '2027-03-14T07:30:00.000Z',
      '2027-03-14T08:00:00.000Z',
      '2027-03-14T08:30:00.000Z',
    ]);
  });

  it('falling back, a time in the repeated hour fires once that day', async () => {
    expect((await firings('7 2 * * *', 'Europe/Berlin', '2027-10-29T12:00:00Z')).map((f) => f.slice(0, 10))).toEqual(['2027-10-30', '2027-10-31', '2027-11-01']);
    expect((await firings('30 1 * * *', 'America/New_York', '2027-11-05T12:00:00Z')).map((f) => f.slice(0, 10))).toEqual(['2027-11-06', '2027-11-07', '2027-11-08']);
  });

  it('a zone without DST fires as node-cron does', async () => {
    expect(await firings('7 2 * * *', 'UTC', '2027-03-13T12:00:00Z', 48)).toEqual(['2027-03-14 2027-03-14T02:07:00.000Z', '2027-03-15 2027-03-15T02:07:00.000Z']);
  });
});
