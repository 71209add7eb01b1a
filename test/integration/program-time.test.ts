import { ValidationError } from '../../plugin/errors';
import { InvalidSettingsError } from '../../plugin/services/settings-service';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

const DAY = 86_400_000;
let n = 0;

/** Program time zone, job schedule overrides and expiry policies as settings (issue 8). */
describe('program time zone, job schedules and expiry policy settings', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterEach(async () => {
    await expectBalancesConsistent(app.plugin);
    await app.plugin.db.knex('loyalty_settings').whereIn('key', ['time_zone', 'job_schedules', 'points_expiry']).delete();
    app.plugin.services.settings.invalidate();
    app.plugin.services.program.update({});
  });
  afterAll(() => app.close());

  const settings = () => app.plugin.services.settings;
  const refusal = async (write: Promise<unknown>) => {
    const err = await write.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).fields;
  };
  const storedKeys = async () => (await app.plugin.db.knex('loyalty_settings').select('key')).map((r: { key: string }) => r.key).sort();

  it('time_zone takes IANA names and refuses anything else, naming the field and writing nothing', async () => {
    const before = await storedKeys();
    expect(await refusal(settings().update({ time_zone: 'Mars/Olympus_Mons' }))).toEqual([{ path: 'time_zone', message: expect.stringContaining('time zone') }]);
    expect(await storedKeys()).toEqual(before);
    await settings().update({ time_zone: 'Pacific/Kiritimati' });
    expect(await settings().get('time_zone')).toBe('Pacific/Kiritimati');
  });

  it('job_schedules must name declared jobs, each with a cron expression node-cron accepts', async () => {
    expect(await refusal(settings().update({ job_schedules: { 'expire-pointz': '0 1 * * *' } }))).toEqual([
      { path: 'job_schedules.expire-pointz', message: expect.stringContaining('is not a job; the jobs are') },
    ]);
    expect(await refusal(settings().update({ job_schedules: { 'expire-points': 'every night' } }))).toEqual([
      { path: 'job_schedules.expire-points', message: expect.stringContaining('not a cron expression') },
    ]);
    expect(await storedKeys()).not.toContain('job_schedules');
  });

  it('a stored schedule naming no job is a configuration error naming the key', async () => {
    await app.plugin.db.knex('loyalty_settings').insert({ key: 'job_schedules', value: JSON.stringify({ nightly: '0 1 * * *' }), updated_at: new Date() });
    settings().invalidate();
    const err = await settings().snapshot().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidSettingsError);
    expect((err as InvalidSettingsError).keys).toEqual(['job_schedules']);
    expect((err as Error).message).toContain('job_schedules.nightly');
  });

  it('the cron reads the overrides and the time zone; jobs without one keep their default', async () => {
    const defaults = await app.plugin.jobs.schedules();
    expect(defaults.find((s) => s.name === 'expire-points')).toEqual({ name: 'expire-points', cron: '7 2 * * *', timeZone: 'UTC' });
    await settings().update({ time_zone: 'America/Los_Angeles', job_schedules: { 'expire-points': '30 1 * * *' } });
    const changed = await app.plugin.jobs.schedules();
    expect(changed.find((s) => s.name === 'expire-points')).toEqual({ name: 'expire-points', cron: '30 1 * * *', timeZone: 'America/Los_Angeles' });
    expect(changed.find((s) => s.name === 'review-tiers')).toEqual({ name: 'review-tiers', cron: '17 3 * * *', timeZone: 'America/Los_Angeles' });
  });

  it("a daily job's period is the day in the program time zone", async () => {
    // The clock is 2026-11-23 12:00 UTC: already the 24th in Kiritimati (UTC+14), the 23rd in UTC.
    expect(await app.plugin.jobs.run('review-tiers', { dryRun: true })).toMatchObject({ period: '2026-11-23' });
    await settings().update({ time_zone: 'Pacific/Kiritimati' });
    expect(await app.plugin.jobs.run('review-tiers', { dryRun: true })).toMatchObject({ period: '2026-11-24' });
  });

  const lotsOf = async (clientId: string) => {
    const member = await app.plugin.db.repos.members.findByPanelClientId(clientId);
    const rows = await app.plugin.db.knex('loyalty_lots').where({ member_id: member?.id }).orderBy('id').select('expires_at', 'remaining');
    return { id: member?.id ?? 0, expires: rows.map((r: { expires_at: unknown }) => (r.expires_at === null ? null : new Date(r.expires_at as string | number | Date).toISOString())) };
  };

  it('end_of_month expiry ends the month in the program time zone', async () => {
    await app.plugin.services.program.update({ points_expiry: { policy: 'end_of_month', months: 0 }, time_zone: 'Pacific/Kiritimati' });
    // 31 Oct 11:00 UTC is already 1 November 01:00 in Kiritimati: November ends there at 30 Nov 10:00 UTC.
    const client = `tz-${++n}`;
    expect((await app.send(invoicePaid({ client: { id: client }, occurred_at: '2026-10-31T11:00:00Z' }))).status).toBe(200);
    expect((await lotsOf(client)).expires).toEqual(['2026-11-30T10:00:00.000Z']);
    await app.plugin.services.program.update({ time_zone: 'UTC' });
    const utcClient = `tz-${++n}`;
    await app.send(invoicePaid({ client: { id: utcClient }, occurred_at: '2026-10-31T11:00:00Z' }));
    expect((await lotsOf(utcClient)).expires).toEqual(['2026-11-01T00:00:00.000Z']);
  });

  it('without points_expiry, points_expiry_months still applies', async () => {
    await app.plugin.services.program.update({ points_expiry_months: 3 });
    try {
      const client = `tz-${++n}`;
      await app.send(invoicePaid({ client: { id: client }, occurred_at: '2026-10-31T11:00:00Z' }));
      expect((await lotsOf(client)).expires).toEqual(['2027-01-31T11:00:00.000Z']);
    } finally {
      await app.plugin.services.program.update({ points_expiry_months: 12 });
    }
  });

  it('inactivity: each earning moves the whole open balance on; it expires together once nothing is earned for N months', async () => {
    await app.plugin.services.program.update({ points_expiry: { policy: 'inactivity', months: 6 } });
    const client = `idle-${++n}`;
    await app.send(invoicePaid({ client: { id: client }, occurred_at: '2026-05-01T09:00:00Z' }));
    expect((await lotsOf(client)).expires).toEqual(['2026-11-01T09:00:00.000Z']);
    await app.send(invoicePaid({ client: { id: client }, occurred_at: '2026-08-01T09:00:00Z' }));
    expect((await lotsOf(client)).expires).toEqual(['2027-02-01T09:00:00.000Z', '2027-02-01T09:00:00.000Z']);
    // A late event earned before the last one never brings the deadline forward.
    await app.send(invoicePaid({ client: { id: client }, occurred_at: '2026-06-01T09:00:00Z' }));
    const { id, expires } = await lotsOf(client);
    expect(expires).toEqual(['2027-02-01T09:00:00.000Z', '2027-02-01T09:00:00.000Z', '2027-02-01T09:00:00.000Z']);

    // Nothing expires a millisecond before six months after the last earning; all of it at that instant.
    const deadline = new Date('2027-02-01T09:00:00Z').getTime();
    app.clock.advance(deadline - app.clock.now().getTime() - 1);
    try {
      const early = await app.plugin.jobs.run('expire-points', { period: `idle-${++n}` });
      expect(early).toMatchObject({ status: 'done' });
      expect((await app.plugin.db.repos.members.findById(id))?.pointsAvailable).toBe(360);
      app.clock.advance(1);
      expect(await app.plugin.jobs.run('expire-points', { period: `idle-${++n}` })).toMatchObject({ status: 'done', counts: { members: 1, points: 360, lots: 3 } });
      expect((await app.plugin.db.repos.members.findById(id))?.pointsAvailable).toBe(0);
    } finally {
      app.clock.current = new Date('2026-11-23T12:00:00Z');
    }
  });
});
