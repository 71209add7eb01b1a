import type { JobDefinition } from '../../plugin/jobs/job-definition';
import { expiryWarningsJob } from '../../plugin/jobs/expiry-warnings';
import { Scheduler } from '../../plugin/jobs/scheduler';
import { DemoPanelApi } from '../../plugin/panels/demo/demo-panel-api';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';
import { QUIET_JOB_CONTEXT, runUntilFirstCheckpoint, testJobDeps } from '../support/jobs';

const DAY = 86_400_000;
let n = 0;

/** expiry-warnings (issue 8): told N days before points expire, once per lot and threshold. */
describe('expiry-warnings job', () => {
  let app: TestApp;
  let other: TestApp;
  const panel = new DemoPanelApi();
  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel });
    await app.plugin.services.program.update({ refund_window_days: 0, email_channel: 'panel' });
    other = await startTestApp({ db: app.db, clock: app.clock, panelApi: panel });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(async () => {
    await other.stop();
    await app.close();
  });

  const now = () => app.clock.now();
  const warn = (target: TestApp = app) => target.plugin.jobs.run('expiry-warnings', { period: `w-${++n}` });

  async function memberWith(lots: Array<{ points: number; days: number | null; pendingDays?: number }>, email: string | null = `m${n + 1}@example.com`): Promise<number> {
    const clientId = `warn-${++n}`;
    return app.plugin.db.transaction(async (tx) => {
      const account = await MemberAccount.enrol(tx, { id: clientId, ...(email && { email }) });
      for (const lot of lots) {
        await account.credit({
          kind: 'earn',
          points: lot.points,
          reasonCode: 'test',
          earnedAt: tx.now,
          availableAt: new Date(tx.now.getTime() + (lot.pendingDays ?? 0) * DAY),
          expiresAt: lot.days === null ? null : new Date(tx.now.getTime() + lot.days * DAY),
        });
      }
      return account.member.id;
    });
  }

  const warnings = async (memberId: number) =>
    (await app.plugin.db.knex('loyalty_expiry_warnings').where({ member_id: memberId }).orderBy(['lot_id', 'threshold_days']))
      .map((r: { threshold_days: unknown }) => Number(r.threshold_days));
  const emailsTo = async (memberId: number) =>
    app.plugin.db.knex('loyalty_outbox').where({ action: 'client.email' }).andWhere('idempotency_key', 'like', `email:expiry-warning:${memberId}:%`);

  it('warns at 30 days, then again at 7, never twice at the same threshold', async () => {
    const id = await memberWith([{ points: 80, days: 20 }]);
    expect(await warn()).toMatchObject({ status: 'done', counts: { members: 1, lots: 1, emails: 1 } });
    expect(await warnings(id)).toEqual([30]);
    expect(await warn()).toMatchObject({ counts: { members: 0, emails: 0 } });
    app.clock.advance(14 * DAY); // 6 days left
    try {
      await warn();
      expect(await warnings(id)).toEqual([7, 30]);
      expect(await emailsTo(id)).toHaveLength(2);
      await warn();
      expect(await emailsTo(id)).toHaveLength(2);
    } finally {
      app.clock.advance(-14 * DAY);
    }
  });

  it('a lot first seen inside 7 days is recorded at both thresholds with one email', async () => {
    const id = await memberWith([{ points: 5, days: 3 }, { points: 9, days: 25 }]);
    await warn();
    expect(await warnings(id)).toEqual([7, 30, 30]);
    const [email] = await emailsTo(id);
    expect(email).toBeDefined();
    expect(JSON.parse(String(email?.payload)).text).toContain('14 points');
    expect(await emailsTo(id)).toHaveLength(1);
  });

  it('leaves out pending lots, spent lots, lots beyond the window, lots without expiry and lots already past', async () => {
    const id = await memberWith([
      { points: 10, days: 10, pendingDays: 5 },
      { points: 10, days: 45 },
      { points: 10, days: null },
      { points: 10, days: 0 },
    ]);
    const spent = await memberWith([{ points: 10, days: 10 }]);
    await app.plugin.db.transaction(async (tx) => {
      const account = await MemberAccount.lock(tx, { id: spent });
      await account?.debit({ kind: 'adjust', points: 10, reasonCode: 'test', reducesLifetime: false, debtPolicy: 'debt' });
    });
    await warn();
    expect(await warnings(id)).toEqual([]);
    expect(await warnings(spent)).toEqual([]);
  });

  it('records the warning but sends nothing to a member without an email address', async () => {
    const id = await memberWith([{ points: 10, days: 5 }], null);
    expect(await warn()).toMatchObject({ counts: { members: 1, no_address: 1, emails: 0 } });
    expect(await warnings(id)).toEqual([7, 30]);
    expect(await emailsTo(id)).toHaveLength(0);
  });

  it('two instances running at once, without a shared lease, warn each lot once', async () => {
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await memberWith([{ points: 10 + i, days: 5 }, { points: 1, days: 20 }]));
    // Different job names: each instance holds its own lease, so only the database keys guard.
    const named = (name: string): JobDefinition => ({ ...expiryWarningsJob({ batchSize: 2 }), name });
    const deps = (t: TestApp) => testJobDeps(t.plugin);
    const a = new Scheduler(app.plugin.db, deps(app), { owner: 'a', heartbeatMs: 0, jobs: [named('warn-a')] });
    const b = new Scheduler(other.plugin.db, deps(other), { owner: 'b', heartbeatMs: 0, jobs: [named('warn-b')] });
    const period = `race-${++n}`;
    // At once on MariaDB; one after the other on SQLite, whose single writer makes a second
    // pool's statements fail as busy rather than race.
    const [ra, rb] =
      app.db.dialect === 'mysql' ? await Promise.all([a.run('warn-a', { period }), b.run('warn-b', { period })]) : [await a.run('warn-a', { period }), await b.run('warn-b', { period })];
    expect([ra.status, rb.status]).toEqual(['done', 'done']);
    for (const id of ids) {
      expect(await warnings(id)).toEqual([7, 30, 30]);
      // The key is per member and period, so both instances' emails are the same outbox row.
      expect(await emailsTo(id)).toHaveLength(1);
    }
  });

  it('a stale work list (another instance read it before this one committed) still warns once: the key decides', async () => {
    const id = await memberWith([{ points: 12, days: 4 }]);
    const repo = app.plugin.db.repos.expiryWarnings;
    const stale = await repo.due(now(), [7, 30], null, 500);
    expect(stale.some((l) => l.memberId === id)).toBe(true);
    await warn();
    const spy = jest.spyOn(repo, 'due').mockImplementationOnce(async () => stale);
    try {
      expect(await warn()).toMatchObject({ status: 'done', counts: { lots: 0, emails: 0 } });
    } finally {
      spy.mockRestore();
    }
    expect(await warnings(id)).toEqual([7, 30]);
    expect(await emailsTo(id)).toHaveLength(1);
  });

  it('a run stopped after its first batch resumes from its marker and warns nobody twice', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await memberWith([{ points: 3, days: 2 + i }]));
    const job = expiryWarningsJob({ batchSize: 2 });
    const deps = testJobDeps(app.plugin);
    const context = { ...QUIET_JOB_CONTEXT, deps, now: now(), period: `resume-${n}`, dryRun: false };
    const saved = await runUntilFirstCheckpoint(job, context);
    expect(saved.counts.members ?? 0).toBeGreaterThan(0);
    const resumed = await job.run({ ...context, resume: saved, checkpoint: async () => undefined });
    expect(resumed.members).toBeGreaterThanOrEqual(ids.length);
    for (const id of ids) {
      expect(await warnings(id)).toEqual([7, 30]);
      expect(await emailsTo(id)).toHaveLength(1);
    }
  });

  it("killed between a member's commit and its batch's end, the resumed run still counts that member", async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await memberWith([{ points: 3, days: 2 + i }]));
    const job = expiryWarningsJob({ batchSize: 2 });
    const context = { ...QUIET_JOB_CONTEXT, deps: testJobDeps(app.plugin), now: now(), period: `kill-${++n}`, dryRun: false };
    // What commits is kept; the process dies when it reaches its first batch's end.
    let saved = { marker: null as string | null, counts: {} as Record<string, number> };
    const killed = new Error('killed');
    await expect(
      job.run({
        ...context,
        resume: saved,
        checkpoint: async (marker, counts, tx) => {
          if (!tx) throw killed;
          saved = { marker, counts };
        },
      }),
    ).rejects.toBe(killed);
    expect(saved.counts.members).toBeGreaterThan(0);
    const resumed = await job.run({ ...context, resume: saved, checkpoint: async () => undefined });
    expect(resumed).toMatchObject({ members: ids.length, lots: ids.length, emails: ids.length });
    for (const id of ids) expect(await emailsTo(id)).toHaveLength(1);
  });

  it('a dry run reports and writes nothing', async () => {
    const id = await memberWith([{ points: 10, days: 5 }]);
    const outcome = await app.plugin.jobs.run('expiry-warnings', { period: `dry-${++n}`, dryRun: true });
    expect(outcome).toMatchObject({ status: 'done' });
    expect(await warnings(id)).toEqual([]);
    expect(await emailsTo(id)).toHaveLength(0);
  });
});
