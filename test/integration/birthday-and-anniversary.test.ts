import { birthdayAndAnniversaryJob } from '../../plugin/jobs/birthday-and-anniversary';
import type { JobDefinition } from '../../plugin/jobs/job-definition';
import { Scheduler } from '../../plugin/jobs/scheduler';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';
import { QUIET_JOB_CONTEXT, runUntilFirstCheckpoint, testJobDeps } from '../support/jobs';

let n = 0;

/** birthday-and-anniversary (issue 8): at most once per member per year, guarded by the database. */
describe('birthday-and-anniversary job', () => {
  let app: TestApp;
  let other: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    await app.plugin.services.program.update({
      refund_window_days: 14,
      birthday_bonus: { active: true, points: 100 },
      anniversary_bonus: { active: true, points_per_year: 10 },
    });
    other = await startTestApp({ db: app.db, clock: app.clock });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(async () => {
    await other.stop();
    await app.close();
  });

  /** Enrols a member as of `joined` (the clock is moved there and back). */
  async function member(options: { birthday?: string; joined?: string; status?: string } = {}): Promise<number> {
    const saved = app.clock.current;
    if (options.joined) app.clock.current = new Date(`${options.joined}T10:00:00Z`);
    try {
      const id = await app.plugin.db.transaction(async (tx) => (await MemberAccount.enrol(tx, { id: `bday-${++n}`, ...(options.birthday && { birthday: options.birthday }) })).member.id);
      if (options.status) await app.plugin.db.knex('loyalty_members').where({ id }).update({ status: options.status });
      return id;
    } finally {
      app.clock.current = saved;
    }
  }
  const run = (day: string, target: TestApp = app) => target.plugin.jobs.run('birthday-and-anniversary', { period: day });
  /** Each test's days are its own, so a finished period of another test doesn't hide work. */
  const bonuses = async (id: number) =>
    (await app.plugin.db.knex('loyalty_ledger').where({ member_id: id, kind: 'bonus' }).orderBy('id')).map((r: Record<string, unknown>) => ({
      delta: Number(r.delta),
      reference: r.reference,
      reason: r.reason_code,
    }));
  const balance = async (id: number) => (await app.plugin.db.repos.members.findById(id))?.pointsAvailable;

  it('gives the birthday bonus on the day, spendable at once with an expiry, and never twice in a year', async () => {
    const id = await member({ birthday: '1990-06-15', joined: '2026-01-10' });
    const noBirthday = await member({ joined: '2026-01-10' });
    expect(await run('2026-06-14')).toMatchObject({ status: 'done', counts: { birthday: 0 } });
    expect(await run('2026-06-15')).toMatchObject({ status: 'done', counts: { birthday: 1, points: 100 } });
    expect(await bonuses(id)).toEqual([{ delta: 100, reference: 'birthday:2026', reason: 'birthday_bonus' }]);
    expect(await balance(id)).toBe(100); // available despite the 14-day refund window
    const [lot] = await app.plugin.db.knex('loyalty_lots').where({ member_id: id });
    expect(lot?.pending).toBeFalsy();
    expect(new Date(lot?.expires_at as string | number).getTime()).toBeGreaterThan(app.clock.now().getTime());
    expect(await run('2026-06-15')).toMatchObject({ status: 'skipped', reason: 'already_done' });
    expect(await bonuses(noBirthday)).toEqual([]);
    expect(await bonuses(id)).toHaveLength(1);
  });

  it('the database refuses a second award of the year even when the lease and the run row are bypassed', async () => {
    const id = await member({ birthday: '1985-07-01' });
    // Two instances under different job names hold different leases and run rows.
    const named = (name: string): JobDefinition => ({ ...birthdayAndAnniversaryJob({ batchSize: 1 }), name });
    const deps = (t: TestApp) => testJobDeps(t.plugin);
    const a = new Scheduler(app.plugin.db, deps(app), { owner: 'a', heartbeatMs: 0, jobs: [named('bday-a')] });
    const b = new Scheduler(other.plugin.db, deps(other), { owner: 'b', heartbeatMs: 0, jobs: [named('bday-b')] });
    const runs = [() => a.run('bday-a', { period: '2026-07-01' }), () => b.run('bday-b', { period: '2026-07-01' }), () => run('2026-07-01')];
    // At once on MariaDB; one after the other on SQLite, whose single writer makes a second
    // pool's statements fail as busy rather than race.
    const outcomes = app.db.dialect === 'mysql' ? await Promise.all(runs.map((r) => r())) : [await runs[0]!(), await runs[1]!(), await runs[2]!()];
    expect(outcomes.map((o) => (o.status === 'failed' ? o.error : o.status))).toEqual(['done', 'done', 'done']);
    expect(await bonuses(id)).toEqual([{ delta: 100, reference: 'birthday:2026', reason: 'birthday_bonus' }]);
    expect(await app.plugin.db.repos.annualAwards.countFor(id)).toBe(1);
    // Another day of the same year (a birthday changed in the panel, say) gives nothing more.
    await app.plugin.db.knex('loyalty_members').where({ id }).update({ birthday: '1985-07-02' });
    await run('2026-07-02');
    expect(await bonuses(id)).toHaveLength(1);
    // The next year does.
    await run('2027-07-02');
    expect((await bonuses(id)).map((b) => b.reference)).toEqual(['birthday:2026', 'birthday:2027']);
  });

  it('29 February birthdays are celebrated on 28 February in other years, and on the 29th in leap years', async () => {
    const leap = await member({ birthday: '2000-02-29' });
    const feb28 = await member({ birthday: '1999-02-28' });
    await run('2027-02-28');
    expect((await bonuses(leap)).map((b) => b.reference)).toEqual(['birthday:2027']);
    expect((await bonuses(feb28)).map((b) => b.reference)).toEqual(['birthday:2027']);
    await run('2027-03-01');
    await run('2028-02-28');
    expect((await bonuses(leap)).map((b) => b.reference)).toEqual(['birthday:2027']);
    expect((await bonuses(feb28)).map((b) => b.reference)).toEqual(['birthday:2027', 'birthday:2028']);
    await run('2028-02-29');
    expect((await bonuses(leap)).map((b) => b.reference)).toEqual(['birthday:2027', 'birthday:2028']);
    expect(await bonuses(feb28)).toHaveLength(2);
  });

  it('anniversaries: points per year of membership, across a leap year and from a leap day', async () => {
    const leapJoin = await member({ joined: '2024-02-29' });
    const march = await member({ joined: '2023-03-01' });
    await run('2024-02-29'); // march's first anniversary is not yet
    await run('2024-03-01');
    expect(await bonuses(march)).toEqual([{ delta: 10, reference: 'anniversary:2024', reason: 'anniversary_bonus' }]);
    expect(await bonuses(leapJoin)).toEqual([]); // joined this very year
    await run('2025-02-28');
    expect(await bonuses(leapJoin)).toEqual([{ delta: 10, reference: 'anniversary:2025', reason: 'anniversary_bonus' }]);
    await run('2032-02-29');
    expect((await bonuses(leapJoin)).map((b) => b.delta)).toEqual([10, 80]);
    const entries = (await app.plugin.db.repos.ledger.pageForMember(leapJoin, { limit: 5 })).entries;
    expect(entries[0]?.reasonParams).toEqual({ count: 8 });
  });

  it('switched off, or a member no longer active: nothing is given', async () => {
    const id = await member({ birthday: '1970-09-09', joined: '2020-09-09' });
    const closed = await member({ birthday: '1970-09-10', status: 'closed' });
    await app.plugin.services.program.update({ birthday_bonus: { active: false, points: 100 }, anniversary_bonus: { active: false, points_per_year: 10 } });
    try {
      expect(await run('2026-09-09')).toMatchObject({ status: 'done', counts: { birthday: 0, anniversary: 0 } });
      expect(await bonuses(id)).toEqual([]);
    } finally {
      await app.plugin.services.program.update({ birthday_bonus: { active: true, points: 100 }, anniversary_bonus: { active: true, points_per_year: 10 } });
    }
    await run('2026-09-10');
    expect(await bonuses(closed)).toEqual([]);
  });

  it('walks the day in batches and a resumed run gives nobody a second bonus', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await member({ birthday: '1991-10-20' }));
    const job = birthdayAndAnniversaryJob({ batchSize: 2 });
    const deps = testJobDeps(app.plugin);
    const base = { ...QUIET_JOB_CONTEXT, deps, now: app.clock.now(), period: '2026-10-20', dryRun: false };
    const saved = await runUntilFirstCheckpoint(job, base);
    // Each award is counted in its own transaction: the first checkpoint is the first member's.
    expect(saved).toMatchObject({ marker: `0|${ids[0]}`, counts: { birthday: 1, points: 100 } });
    // Restarted from the top (as if the checkpoint had been lost too): the award rows hold.
    await job.run({ ...base, resume: { marker: null, counts: {} }, checkpoint: async () => {} });
    await job.run({ ...base, resume: { marker: saved.marker, counts: saved.counts }, checkpoint: async () => {} });
    for (const id of ids) expect(await bonuses(id)).toEqual([{ delta: 100, reference: 'birthday:2026', reason: 'birthday_bonus' }]);
  });
});
