import { statementsJob } from '../../plugin/jobs/statements';
import { DemoPanelApi } from '../../plugin/panels/demo/demo-panel-api';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';
import { QUIET_JOB_CONTEXT, runUntilFirstCheckpoint, testJobDeps } from '../support/jobs';

let n = 0;

/** statements (issue 8): a monthly email to members who opted in, in their language, once per month. */
describe('statements job', () => {
  let app: TestApp;
  const panel = new DemoPanelApi();
  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel });
    await app.plugin.services.program.update({ refund_window_days: 0, email_channel: 'panel' });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  /** A member who earned `earned` on 2026-10-10 and had `spent` taken on 2026-10-20 (the clock is moved there and back). */
  async function member(client: { locale?: string; name?: string; email?: string | null }, earned = 0, spent = 0): Promise<{ id: number; clientId: string }> {
    const clientId = `stmt-${++n}`;
    const saved = app.clock.current;
    try {
      app.clock.current = new Date('2026-10-10T09:00:00Z');
      const id = await app.plugin.db.transaction(async (tx) => {
        const email = client.email === undefined ? `${clientId}@example.com` : client.email;
        const account = await MemberAccount.enrol(tx, { id: clientId, locale: client.locale, name: client.name, ...(email !== null && { email }) });
        if (earned > 0) {
          await account.credit({ kind: 'earn', points: earned, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date('2026-12-01T00:00:00Z') });
        }
        return account.member.id;
      });
      if (spent > 0) {
        app.clock.current = new Date('2026-10-20T09:00:00Z');
        await app.plugin.db.transaction(async (tx) => {
          const account = await MemberAccount.lock(tx, { id });
          await account?.debit({ kind: 'adjust', points: spent, reasonCode: 'test', reducesLifetime: false, debtPolicy: 'debt' });
        });
      }
      return { id, clientId };
    } finally {
      app.clock.current = saved;
    }
  }
  const statementsFor = async (id: number): Promise<Array<{ key: unknown; subject?: string; text?: string }>> =>
    (await app.plugin.db.knex('loyalty_outbox').where({ action: 'client.email' }).andWhere('idempotency_key', 'like', `email:statement:${id}:%`).orderBy('id')).map(
      (r: Record<string, unknown>) => ({ key: r.idempotency_key, ...(JSON.parse(String(r.payload)) as Record<string, string>) }),
    );

  it('only members who opted in get it, in their language, with the month in numbers; a rerun sends nothing more', async () => {
    const ru = await member({ locale: 'ru', name: 'Иван' }, 2500, 300);
    const quiet = await member({ locale: 'en' }, 100);
    const noEmail = await member({ email: null }, 100);
    expect(await app.plugin.services.members.setStatementsOptIn(ru.clientId, true)).toBe(true);
    expect(await app.plugin.services.members.setStatementsOptIn(noEmail.clientId, true)).toBe(true);
    expect(await app.plugin.services.members.setStatementsOptIn('nobody', true)).toBe(false);
    expect(await app.plugin.services.members.statementsOptIn(ru.clientId)).toBe(true);
    expect(await app.plugin.services.members.statementsOptIn(quiet.clientId)).toBeNull();

    app.clock.current = new Date('2026-11-01T07:17:00Z');
    try {
      const outcome = await app.plugin.jobs.run('statements');
      expect(outcome).toMatchObject({ period: '2026-10', status: 'done', counts: { emails: 1 } });
    } finally {
      app.clock.current = new Date('2026-11-23T12:00:00Z');
    }
    const [statement] = await statementsFor(ru.id);
    expect(statement?.key).toBe(`email:statement:${ru.id}:2026-10`);
    expect(statement?.subject).toMatch(/^Выписка по бонусам: 1 окт\. 2026 г\. – 31 окт\. 2026 г\.$/);
    expect(statement?.text).toContain('Здравствуйте, Иван');
    expect(statement?.text).toContain('Доступно баллов: 2\u00a0200');
    expect(statement?.text).toContain('Начислено за период: 2\u00a0500');
    expect(statement?.text).toContain('Сгорят в ближайшие 30 дней: 2\u00a0200 баллов');
    expect(statement?.text).toContain('Ваш уровень: ');
    expect(await statementsFor(quiet.id)).toEqual([]);
    expect(await statementsFor(noEmail.id)).toEqual([]);

    expect(await app.plugin.jobs.run('statements', { period: '2026-10' })).toMatchObject({ status: 'skipped', reason: 'already_done' });
    // Another month is another statement.
    await app.plugin.jobs.run('statements', { period: '2026-09' });
    expect((await statementsFor(ru.id)).map((s) => s.key)).toEqual([`email:statement:${ru.id}:2026-10`, `email:statement:${ru.id}:2026-09`]);
    await app.plugin.jobs.dispatchOutbox();
    expect(panel.recentEmails().filter((e) => e.email?.purpose === 'statement')).toHaveLength(2);
  });

  it('statements_default_opt_in sends to members who never chose, not to those who opted out', async () => {
    const never = await member({ locale: 'zh-CN' }, 10);
    const out = await member({}, 10);
    await app.plugin.services.members.setStatementsOptIn(out.clientId, false);
    await app.plugin.services.program.update({ statements_default_opt_in: true });
    try {
      await app.plugin.jobs.run('statements', { period: '2026-08' });
    } finally {
      await app.plugin.services.program.update({ statements_default_opt_in: false });
    }
    const [statement] = await statementsFor(never.id);
    expect(statement?.subject).toMatch(/^会员积分对账单：/);
    expect(await statementsFor(out.id)).toEqual([]);
  });

  it('walks members in batches; a resumed or repeated run queues no statement twice', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const m = await member({}, 10);
      await app.plugin.services.members.setStatementsOptIn(m.clientId, true);
      ids.push(m.id);
    }
    const job = statementsJob({ batchSize: 2 });
    const deps = testJobDeps(app.plugin);
    const base = { ...QUIET_JOB_CONTEXT, deps, now: app.clock.now(), period: '2026-07', dryRun: false };
    const saved = await runUntilFirstCheckpoint(job, base);
    await job.run({ ...base, resume: { marker: saved.marker, counts: saved.counts }, checkpoint: async () => {} });
    const repeat = await job.run({ ...base, resume: { marker: null, counts: {} }, checkpoint: async () => {} });
    expect(repeat.emails).toBe(0);
    for (const id of ids) expect((await statementsFor(id)).map((s) => s.key)).toEqual([`email:statement:${id}:2026-07`]);
  });

  it("the month runs midnight to midnight in the program's time zone", async () => {
    const clientId = `stmt-${++n}`;
    const saved = app.clock.current;
    // 2026-10-31T16:00Z is already 1 November in Tokyo: November's earning, not October's.
    app.clock.current = new Date('2026-10-31T16:00:00Z');
    const id = await app.plugin.db.transaction(async (tx) => {
      const account = await MemberAccount.enrol(tx, { id: clientId, locale: 'en', email: `${clientId}@example.com` });
      await account.credit({ kind: 'earn', points: 40, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date('2027-12-01T00:00:00Z') });
      return account.member.id;
    });
    app.clock.current = saved;
    await app.plugin.services.members.setStatementsOptIn(clientId, true);
    const job = statementsJob();
    const base = { ...QUIET_JOB_CONTEXT, deps: testJobDeps(app.plugin), now: app.clock.now(), dryRun: false, timeZone: 'Asia/Tokyo', resume: { marker: null, counts: {} }, checkpoint: async () => {} };
    await job.run({ ...base, period: '2026-10' });
    await job.run({ ...base, period: '2026-11' });
    const [october, november] = await statementsFor(id);
    expect(october?.subject).toBe('Your rewards statement: Oct 1, 2026 – Oct 31, 2026');
    expect(october?.text).toContain('Earned this period: 0');
    expect(november?.subject).toBe('Your rewards statement: Nov 1, 2026 – Nov 30, 2026');
    expect(november?.text).toContain('Earned this period: 40');
  });

  it("tells the month and the first points to expire by their days on the program's clock", async () => {
    const clientId = `stmt-${++n}`;
    const id = await app.plugin.db.transaction(async (tx) => {
      const account = await MemberAccount.enrol(tx, { id: clientId, locale: 'en', email: `${clientId}@example.com` });
      // New York's end of November: 05:00 UTC on 1 December; November 30 is the last day.
      await account.credit({ kind: 'earn', points: 40, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date('2026-12-01T05:00:00Z') });
      return account.member.id;
    });
    await app.plugin.services.members.setStatementsOptIn(clientId, true);
    const job = statementsJob();
    const base = { ...QUIET_JOB_CONTEXT, deps: testJobDeps(app.plugin), now: app.clock.now(), dryRun: false, resume: { marker: null, counts: {} }, checkpoint: async () => {} };
    await job.run({ ...base, timeZone: 'America/New_York', period: '2026-10' });
    await job.run({ ...base, timeZone: 'Asia/Tokyo', period: '2026-09' });
    const [october, september] = await statementsFor(id);
    expect(october?.subject).toBe('Your rewards statement: Oct 1, 2026 – Oct 31, 2026');
    expect(october?.text).toContain('Expiring in the next 30 days: 40 points; the last day to use the first of them is Nov 30, 2026.');
    // 14:00 on 1 December in Tokyo: the points still last that day there.
    expect(september?.subject).toBe('Your rewards statement: Sep 1, 2026 – Sep 30, 2026');
    expect(september?.text).toContain('Expiring in the next 30 days: 40 points; the last day to use the first of them is Dec 1, 2026.');
  });

  it('refuses a period that is not a month', async () => {
    expect(await app.plugin.jobs.run('statements', { period: 'not-a-month' })).toMatchObject({ status: 'failed', error: expect.stringContaining('YYYY-MM') });
  });

  it('earned and expired count only the month (an adjustment is neither)', async () => {
    const m = await member({}, 70, 20);
    app.clock.current = new Date('2026-12-02T00:00:00Z');
    try {
      await app.plugin.db.transaction(async (tx) => (await MemberAccount.lock(tx, { id: m.id }))?.expire(tx.now));
    } finally {
      app.clock.current = new Date('2026-11-23T12:00:00Z');
    }
    const month = (from: string, to: string) => app.plugin.db.repos.statements.summary(m.id, new Date(from), new Date(to));
    expect(await month('2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z')).toEqual({ earned: 70, spent: 0, expired: 0 });
    expect(await month('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z')).toEqual({ earned: 0, spent: 0, expired: 0 });
    expect(await month('2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual({ earned: 0, spent: 0, expired: 50 });
  });
});
