import type { ExpiryPolicy } from '../../plugin/domain/expiry-policy';
import type { JobDefinition } from '../../plugin/jobs/job-definition';
import { expiryWarningsJob } from '../../plugin/jobs/expiry-warnings';
import { Scheduler } from '../../plugin/jobs/scheduler';
import { DemoPanelApi } from '../../plugin/panels/demo/demo-panel-api';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';
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
    app.plugin.db.knex('loyalty_outbox').where({ action: 'client.email' }).andWhere('idempotency_key', 'like', `email:expiry-warning:${memberId}:%`).orderBy('id');

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

  it('an email names everything that expires by its dates: points warned about before, due sooner, are in it again', async () => {
    const id = await memberWith([{ points: 100, days: 20 }]);
    await warn();
    await app.plugin.db.transaction(async (tx) => {
      const account = await MemberAccount.lock(tx, { id });
      await account?.credit({ kind: 'earn', points: 5, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date(tx.now.getTime() + 25 * DAY) });
    });
    expect(await warn()).toMatchObject({ counts: { members: 1, lots: 1, emails: 1 } });
    expect(await warnings(id)).toEqual([30, 30]);
    const [, second] = await emailsTo(id);
    const text = String(JSON.parse(String(second?.payload)).text);
    const date = (days: number) => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(now().getTime() + days * DAY));
    expect(text).toContain(`- 100 points, last day ${date(20)}\n- 5 points, last day ${date(25)}\n`);
    expect(text).toContain('Expiring in total: 105 points');
  });

  it("tells each deadline by its last day on the program's clock, once per day", async () => {
    await app.plugin.services.program.update({ time_zone: 'America/New_York' });
    try {
      const id = await app.plugin.db.transaction(async (tx) => {
        const account = await MemberAccount.enrol(tx, { id: `warn-${++n}`, email: 'ny@example.com', locale: 'en' });
        // New York's end of November (05:00 UTC on 1 December), 15:00 on 30 November there, and
        // 00:30 on 1 December there: two deadlines with one last day, and the next day.
        for (const [points, expiresAt] of [[10, '2026-12-01T05:00:00Z'], [5, '2026-11-30T20:00:00Z'], [1, '2026-12-01T05:30:00Z']] as const) {
          await account.credit({ kind: 'earn', points, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date(expiresAt) });
        }
        return account.member.id;
      });
      expect(await warn()).toMatchObject({ counts: { members: 1, lots: 3, emails: 1 } });
      const [email] = await emailsTo(id);
      const { subject, text } = JSON.parse(String(email?.payload)) as { subject: string; text: string };
      expect(subject).toBe('Last day to use some of your points: Nov 30, 2026');
      expect([...text.matchAll(/^- (.*)$/gm)].map((m) => m[1])).toEqual(['15 points, last day Nov 30, 2026', '1 point, last day Dec 1, 2026']);
      expect(text).toContain('Expiring in total: 16 points');
    } finally {
      await app.plugin.services.program.update({ time_zone: 'UTC' });
    }
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

/**
 * A warning is once per lot, threshold and deadline, and an email's amounts are everything still
 * open that expires by the dates it names (issue 8, from an audit: under the inactivity policy a
 * lot warned about once, then moved on by a later earning, was never mentioned again, and the
 * member was told 10 points expire when 130 did). End to end: invoices paid through the signed
 * webhook, the jobs run as the scheduler runs them, the email read as queued for the panel.
 */
describe('expiry-warnings as deadlines move and lots join them (each expiry policy, end to end)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ program: { refund_window_days: 0, email_channel: 'panel' } });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const START = new Date('2026-11-23T12:00:00Z');
  let scenario = '';
  /** A run as the scheduler makes one, as of now; each scenario's periods are its own, as its dates overlap another's. */
  const run = (job: 'expiry-warnings' | 'expire-points') => app.plugin.jobs.run(job, { period: `${scenario}:${app.clock.now().toISOString().slice(0, 10)}` });
  const at = (iso: string) => {
    app.clock.current = new Date(iso);
  };

  async function start(name: string, pointsExpiry: ExpiryPolicy): Promise<string> {
    scenario = `${name}-${++n}`;
    app.clock.current = START;
    await app.plugin.services.program.update({ points_expiry: pointsExpiry });
    return scenario;
  }

  async function pay(client: string, points: number): Promise<void> {
    const amount = `${points}.00`;
    const event = invoicePaid({ occurred_at: app.clock.now().toISOString(), client: { id: client, email: `${client}@example.com` }, invoice: { total: amount, items: [{ type: 'renewal', amount }] } });
    expect((await app.send(event).expect(200)).body).toMatchObject({ outcome: 'applied', points });
  }

  const memberOf = async (client: string) => {
    const member = await app.plugin.db.repos.members.findByPanelClientId(client);
    if (!member) throw new Error(`no member ${client}`);
    return member;
  };
  const deadlines = async (client: string) =>
    (await app.plugin.db.knex('loyalty_lots').where({ member_id: (await memberOf(client)).id }).andWhere('remaining', '>', 0).orderBy('id').select('expires_at')).map((r: { expires_at: unknown }) =>
      new Date(r.expires_at as string | number).toISOString(),
    );
  /** The text of every expiry warning queued for the member, oldest first. */
  const emails = async (client: string): Promise<string[]> =>
    (
      await app.plugin.db
        .knex('loyalty_outbox')
        .where({ action: 'client.email' })
        .andWhere('idempotency_key', 'like', `email:expiry-warning:${(await memberOf(client)).id}:%`)
        .orderBy('id')
    ).map((r: { payload: unknown }) => String(JSON.parse(String(r.payload)).text));
  /** What an email says expires: its lines and its total, as the member reads them. */
  const told = (text: string | undefined) => ({
    lines: [...(text ?? '').matchAll(/^- (.*)$/gm)].map((m) => m[1]),
    total: /Expiring in total: (.*)$/m.exec(text ?? '')?.[1],
  });

  it('inactivity: a lot warned about, then moved on by a later earning, is warned about again before its new deadline, with everything that expires then', async () => {
    const client = await start('idle', { policy: 'inactivity', months: 3 });
    await pay(client, 120);
    at('2027-02-01T12:00:00Z'); // 70 days on: 22 days left
    expect(await run('expiry-warnings')).toMatchObject({ status: 'done', counts: { members: 1, lots: 1, emails: 1 } });
    expect((await emails(client)).map(told)).toEqual([{ lines: ['120 points, last day Feb 23, 2027'], total: '120 points' }]);

    await pay(client, 10); // inactivity: every open lot moves to this earning's deadline
    expect(await deadlines(client)).toEqual(['2027-05-01T12:00:00.000Z', '2027-05-01T12:00:00.000Z']);
    at('2027-04-12T12:00:00Z'); // 70 days on: 19 days left
    expect(await run('expiry-warnings')).toMatchObject({ status: 'done', counts: { members: 1, lots: 2, emails: 1 } });
    const [, second] = await emails(client);
    expect(told(second)).toEqual({ lines: ['130 points, last day May 1, 2027'], total: '130 points' });
    expect(second).toContain('Available points now: 130 points');

    at('2027-05-07T12:00:00Z');
    expect(await run('expire-points')).toMatchObject({ status: 'done' });
    const expired = await app.plugin.db.knex('loyalty_ledger').where({ member_id: (await memberOf(client)).id, kind: 'expire' }).select('delta');
    expect(expired.map((e: { delta: unknown }) => Number(e.delta))).toEqual([-130]);
    expect((await memberOf(client)).pointsAvailable).toBe(0);
  });

  it('inactivity: a rerun the same day, as a second run or another instance, says nothing more', async () => {
    const client = await start('idle-rerun', { policy: 'inactivity', months: 3 });
    await pay(client, 120);
    at('2027-02-01T12:00:00Z');
    await run('expiry-warnings');
    await pay(client, 10);
    at('2027-04-12T12:00:00Z');
    expect(await run('expiry-warnings')).toMatchObject({ status: 'done', counts: { lots: 2, emails: 1 } });
    const id = (await memberOf(client)).id;
    const recorded = async () => app.plugin.db.knex('loyalty_expiry_warnings').where({ member_id: id }).count({ n: '*' }).first();
    const before = { warnings: await recorded(), emails: await emails(client) };
    expect(before.emails).toHaveLength(2);

    // The same period again: the scheduler's run row says it is done.
    expect(await run('expiry-warnings')).toMatchObject({ status: 'skipped', reason: 'already_done' });
    // The job itself again, later the same day under another key (another instance, an operator's
    // run): every lot is warned at the thresholds it has reached for the deadline it has.
    app.clock.advance(3 * 3_600_000);
    expect(await app.plugin.jobs.run('expiry-warnings', { period: `${scenario}:again` })).toMatchObject({ status: 'done', counts: { members: 0, lots: 0, emails: 0 } });
    expect(await recorded()).toEqual(before.warnings);
    expect(await emails(client)).toEqual(before.emails);
  });

  // Each policy: 120 points paid at START, 10 more once the first warning is out; then the
  // warnings on the way to each deadline. Only inactivity moves a deadline; under end of year
  // the second lot joins the first one's.
  const policies = [
    {
      name: 'months after earning',
      policy: { policy: 'months_after_earning', months: 3 },
      steps: [
        { at: '2027-02-03T12:00:00Z', told: [{ lines: ['120 points, last day Feb 23, 2027'], total: '120 points' }], pay: 10 },
        { at: '2027-02-20T12:00:00Z', told: [{ lines: ['120 points, last day Feb 23, 2027'], total: '120 points' }] },
        { at: '2027-02-23T12:00:00Z', expired: 120 },
        { at: '2027-04-13T12:00:00Z', told: [{ lines: ['10 points, last day May 3, 2027'], total: '10 points' }] },
        { at: '2027-04-30T12:00:00Z', told: [{ lines: ['10 points, last day May 3, 2027'], total: '10 points' }] },
        { at: '2027-05-03T12:00:00Z', expired: 10 },
      ],
    },
    {
      name: 'end of month',
      policy: { policy: 'end_of_month', months: 2 },
      steps: [
        { at: '2027-01-12T12:00:00Z', told: [{ lines: ['120 points, last day Jan 31, 2027'], total: '120 points' }], pay: 10 },
        { at: '2027-01-29T12:00:00Z', told: [{ lines: ['120 points, last day Jan 31, 2027'], total: '120 points' }] },
        { at: '2027-02-01T00:00:00Z', expired: 120 },
        { at: '2027-03-12T12:00:00Z', told: [{ lines: ['10 points, last day Mar 31, 2027'], total: '10 points' }] },
        { at: '2027-03-29T12:00:00Z', told: [{ lines: ['10 points, last day Mar 31, 2027'], total: '10 points' }] },
        { at: '2027-04-01T00:00:00Z', expired: 10 },
      ],
    },
    {
      name: 'end of year',
      policy: { policy: 'end_of_year', years: 0 },
      steps: [
        { at: '2026-12-12T12:00:00Z', told: [{ lines: ['120 points, last day Dec 31, 2026'], total: '120 points' }], pay: 10 },
        // The new lot's deadline is the one warned about: told again, with all that expires then.
        { at: '2026-12-13T12:00:00Z', told: [{ lines: ['130 points, last day Dec 31, 2026'], total: '130 points' }] },
        { at: '2026-12-29T12:00:00Z', told: [{ lines: ['130 points, last day Dec 31, 2026'], total: '130 points' }] },
        { at: '2027-01-01T00:00:00Z', expired: 130 },
      ],
    },
    {
      name: 'inactivity',
      policy: { policy: 'inactivity', months: 3 },
      steps: [
        { at: '2027-02-03T12:00:00Z', told: [{ lines: ['120 points, last day Feb 23, 2027'], total: '120 points' }], pay: 10 },
        // Both lots now expire on May 3: nothing is within 30 days, and nothing expires on Feb 23.
        { at: '2027-02-20T12:00:00Z', told: [] },
        { at: '2027-02-23T12:00:00Z', expired: 0 },
        { at: '2027-04-13T12:00:00Z', told: [{ lines: ['130 points, last day May 3, 2027'], total: '130 points' }] },
        { at: '2027-04-30T12:00:00Z', told: [{ lines: ['130 points, last day May 3, 2027'], total: '130 points' }] },
        { at: '2027-05-03T12:00:00Z', expired: 130 },
      ],
    },
  ] as const;

  it.each(policies)('$name: each deadline is warned at 30 and 7 days with what expires then, once', async ({ name, policy, steps }) => {
    const client = await start(name.replace(/ /g, '-'), policy);
    await pay(client, 120);
    let seen = 0;
    for (const step of steps) {
      at(step.at);
      if ('expired' in step) {
        const before = (await memberOf(client)).pointsAvailable;
        expect(await run('expire-points')).toMatchObject({ status: 'done' });
        expect({ at: step.at, expired: before - (await memberOf(client)).pointsAvailable }).toEqual({ at: step.at, expired: step.expired });
        continue;
      }
      await run('expiry-warnings');
      // A second run that day under another key finds nothing more to say.
      await app.plugin.jobs.run('expiry-warnings', { period: `${scenario}:${step.at}:again` });
      const all = await emails(client);
      expect({ at: step.at, told: all.slice(seen).map(told) }).toEqual({ at: step.at, told: step.told });
      seen = all.length;
      if ('pay' in step) await pay(client, step.pay);
    }
    expect((await memberOf(client)).pointsAvailable).toBe(0);
  });
});
