import { emailMessageId } from '../../plugin/domain/panel-actions';
import { DemoPanelApi } from '../../plugin/panels/demo/demo-panel-api';
import { emailKey } from '../../plugin/services/email-service';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';
import { startSmtpListener, type SmtpListener } from '../support/smtp-listener';

const DAY = 86_400_000;
let n = 0;

/** A member with one spendable lot expiring in `days`. */
async function memberWithLot(app: TestApp, client: { email?: string; locale?: string; name?: string }, points: number, days: number): Promise<number> {
  const id = `mail-${++n}`;
  return app.plugin.db.transaction(async (tx) => {
    const account = await MemberAccount.enrol(tx, { id, ...client });
    await account.credit({
      kind: 'earn',
      points,
      reasonCode: 'test',
      earnedAt: tx.now,
      availableAt: tx.now,
      expiresAt: new Date(tx.now.getTime() + days * DAY),
    });
    return account.member.id;
  });
}

const outboxRows = (app: TestApp) => app.plugin.db.knex('loyalty_outbox').where({ action: 'client.email' }).orderBy('id');

/** Email (issue 8): one `client.email` action, sent by the panel or by our own SMTP, queued with the job's work. */
describe('member emails by SMTP', () => {
  let smtp: SmtpListener;
  let app: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpListener();
    app = await startTestApp({ config: { smtpUrl: smtp.url, smtpFrom: 'Example Hosting <rewards@example.com>' } });
    await app.plugin.services.program.update({ refund_window_days: 0, email_channel: 'smtp' });
  });
  beforeEach(() => {
    smtp.received.length = 0;
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(async () => {
    await app.close();
    await smtp.close();
  });

  it('an expiry warning reaches the SMTP server once, in the member language, with a Message-ID from its key', async () => {
    const memberId = await memberWithLot(app, { email: 'ivan@example.com', locale: 'ru-RU', name: 'Иван' }, 1500, 5);
    const outcome = await app.plugin.jobs.run('expiry-warnings', { period: `smtp-${++n}` });
    expect(outcome).toMatchObject({ status: 'done', counts: { members: 1, lots: 1, emails: 1 } });
    expect(smtp.received).toEqual([]); // queued, not sent inside the job's transaction
    expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 1 });
    expect(smtp.received).toHaveLength(1);
    const [got] = smtp.received;
    const key = emailKey('expiry-warning', memberId, `smtp-${n}`);
    expect(got?.to).toEqual(['ivan@example.com']);
    expect(got?.from).toBe('rewards@example.com');
    expect(got?.mail.messageId).toBe(emailMessageId(key));
    expect(got?.mail.subject).toMatch(/^Последний день использования части ваших баллов: /);
    expect(got?.mail.text).toContain('Здравствуйте, Иван');
    expect(got?.mail.text).toContain('1\u00a0500 баллов');
    expect(got?.mail.html).toContain('Всего сгорит: 1\u00a0500 баллов');
    // Sent is sent: another dispatch, another run of the job, send nothing more.
    expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 0 });
    expect(await app.plugin.jobs.run('expiry-warnings', { period: `smtp-${++n}` })).toMatchObject({ counts: { emails: 0 } });
    await app.plugin.jobs.dispatchOutbox();
    expect(smtp.received).toHaveLength(1);
    const [row] = await app.plugin.db.knex('loyalty_outbox').where({ idempotency_key: key });
    expect(row).toMatchObject({ state: 'sent', panel_reference: emailMessageId(key) });
  });

  it('html escapes what members typed; subject and text carry it as typed', async () => {
    await memberWithLot(app, { email: 'ob@example.com', locale: 'en', name: `O'Brien & <Co>` }, 10, 3);
    await app.plugin.jobs.run('expiry-warnings', { period: `smtp-${++n}` });
    await app.plugin.jobs.dispatchOutbox();
    const mail = smtp.received[0]?.mail;
    expect(mail?.text).toContain(`Hello, O'Brien & <Co>`);
    expect(mail?.html).toContain('Hello, O&#x27;Brien &amp; &lt;Co&gt;');
    expect(mail?.html).not.toContain('<Co>');
  });

  it('a temporary SMTP refusal is retried; a permanent one fails the action for good', async () => {
    await memberWithLot(app, { email: 'retry@example.com' }, 10, 3);
    await app.plugin.jobs.run('expiry-warnings', { period: `smtp-${++n}` });
    smtp.failNext(451);
    expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 0, retried: 1 });
    app.clock.advance(DAY);
    expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 1 });
    expect(smtp.received.map((r) => r.to)).toEqual([['retry@example.com']]);

    await memberWithLot(app, { email: 'gone@example.com' }, 10, 3);
    await app.plugin.jobs.run('expiry-warnings', { period: `smtp-${++n}` });
    smtp.failNext(550);
    expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ failed: 1 });
    const [row] = await outboxRows(app).where('payload', 'like', '%gone@example.com%');
    expect(row).toMatchObject({ state: 'failed' });
    expect(String(row.last_error)).toMatch(/SMTP 550/);
  });

  it('the email is queued in the transaction of the work: rolled back, neither the warning nor the email exists', async () => {
    const memberId = await memberWithLot(app, { email: 'rollback@example.com' }, 10, 3);
    const before = (await outboxRows(app)).length;
    await expect(
      app.plugin.db.transaction(async (tx) => {
        const account = await MemberAccount.lock(tx, { id: memberId });
        if (!account) throw new Error('no member');
        await tx.repos.expiryWarnings.record({ lotId: 1, expiresAt: tx.now, thresholdDays: 7, memberId }, tx.now);
        await app.plugin.services.emails.queue(tx, 'smtp', { member: account.member, template: 'expiry-warning', period: 'rollback', model: { lots: [], total: 0, balance: 0, firstDay: 'Dec 1, 2026' } });
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect(await outboxRows(app)).toHaveLength(before);
    expect(await app.plugin.db.repos.expiryWarnings.countFor(memberId)).toBe(0);
  });
});

describe('member emails by the panel, and no email at all', () => {
  let app: TestApp;
  let panel: DemoPanelApi;
  beforeAll(async () => {
    app = await startTestApp({ panel: 'demo' });
    panel = app.plugin.demo?.api ?? new DemoPanelApi();
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('the demo seeds email_channel panel: the demo panel receives the email and its page lists it', async () => {
    expect((await app.plugin.services.settings.snapshot()).email_channel).toBe('panel');
    await memberWithLot(app, { email: 'ayse@example.com', locale: 'tr', name: 'Ayşe' }, 200, 6);
    await app.plugin.jobs.run('expiry-warnings', { period: `panel-${++n}` });
    await app.plugin.jobs.dispatchOutbox();
    const [email] = panel.recentEmails();
    expect(email?.email).toMatchObject({ to: 'ayse@example.com', purpose: 'expiry-warning' });
    expect(email?.email?.subject).toMatch(/^Puanlarınızın bir kısmı için son kullanım günü: .+ 2026$/);
    const page = await app.http.get('/').set('Accept-Language', 'en');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Emails the panel sent');
    expect(page.text).toContain('ayse@example.com');
    expect(page.text).toContain(email?.email?.subject ?? 'missing');
  });

  it('with email_channel none the email jobs do nothing and record nothing', async () => {
    await app.plugin.services.program.update({ email_channel: 'none' });
    try {
      const memberId = await memberWithLot(app, { email: 'quiet@example.com' }, 50, 6);
      const before = (await outboxRows(app)).length;
      expect(await app.plugin.jobs.run('expiry-warnings', { period: `none-${++n}` })).toMatchObject({ status: 'done', counts: { emails: 0 } });
      expect(await app.plugin.jobs.run('statements', { period: '2026-10' })).toMatchObject({ status: 'done', counts: { emails: 0 } });
      expect(await outboxRows(app)).toHaveLength(before);
      expect(await app.plugin.db.repos.expiryWarnings.countFor(memberId)).toBe(0);
    } finally {
      await app.plugin.services.program.update({ email_channel: 'panel' });
    }
  });

  it('an email queued for SMTP while SMTP_URL is unset waits in the outbox instead of going through the panel', async () => {
    await app.plugin.services.program.update({ email_channel: 'smtp' });
    try {
      await memberWithLot(app, { email: 'wait@example.com' }, 50, 6);
      await app.plugin.jobs.run('expiry-warnings', { period: `wait-${++n}` });
      // (The member of the previous test, never warned while email was off, is warned now too.)
      expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 0, failed: 0 });
      expect(panel.recentEmails().some((e) => e.email?.to === 'wait@example.com')).toBe(false);
      const [row] = await outboxRows(app).where('payload', 'like', '%wait@example.com%');
      expect(row).toMatchObject({ state: 'pending' });
      expect(String(row.last_error)).toMatch(/SMTP_URL is not set/);
    } finally {
      await app.plugin.services.program.update({ email_channel: 'panel' });
    }
  });
});
