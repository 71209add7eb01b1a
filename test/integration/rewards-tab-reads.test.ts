import { createKnex } from '../../plugin/db/connection';
import { SESSION_COOKIE } from '../../plugin/web/session';
import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, type TestApp } from '../support/harness';

/**
 * Issue 14: reading the Rewards tab never takes a row lock or a write transaction. Points past
 * their refund window are shown as released (the job records the release), so a view of a
 * member with pending points writes nothing and never queues behind the member's row lock.
 */
const DAY = 86_400_000;
const text = (html: string, testId: string) => new RegExp(`data-testid="${testId}">([^<]*)<`).exec(html)?.[1];

async function session(app: TestApp, clientId: string): Promise<string> {
  const token = await app.plugin.services.auth.mintSsoToken(clientId);
  const res = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
  const raw = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(SESSION_COOKIE))!;
  return raw.split(';')[0]!;
}

/** Rejects when `promise` hasn't settled within `ms`: what a view queued behind a lock would do. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms);
    }),
  ]);
}

describe('reading the Rewards tab', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ program: { refund_window_days: 14 } });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('shows points past their refund window as released, and writes nothing', async () => {
    await app.send(invoicePaid({ client: { id: 'read-due' }, invoice: { id: 'RD-1', total: '40.00', items: [] }, occurred_at: app.clock.now().toISOString() })).expect(200);
    app.clock.advance(5 * DAY);
    await app.send(invoicePaid({ client: { id: 'read-due' }, invoice: { id: 'RD-2', total: '25.00', items: [] }, occurred_at: app.clock.now().toISOString() })).expect(200);
    const before = await app.http.get('/client/rewards').set('Cookie', await session(app, 'read-due')).expect(200);
    expect([text(before.text, 'balance'), text(before.text, 'pending')]).toEqual(['0', '65']);

    app.clock.advance(10 * DAY);
    const cookie = await session(app, 'read-due');
    const counts = await tableCounts(app.plugin);
    const page = await app.http.get('/client/rewards').set('Cookie', cookie).expect(200);
    expect([text(page.text, 'balance'), text(page.text, 'pending')]).toEqual(['40', '25']);
    // Only the lot still inside its window is listed as pending.
    const releaseOf = (days: number) => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(app.clock.now().getTime() + days * DAY));
    expect(page.text).toContain(`<li>25 on ${releaseOf(4)}</li>`);
    expect(page.text).not.toContain('<li>40 on');
    expect(await tableCounts(app.plugin)).toEqual(counts);
    const member = await app.plugin.db.repos.members.findByPanelClientId('read-due');
    expect([member!.pointsAvailable, member!.pointsPending]).toEqual([0, 65]);

    // The job records what the view showed.
    await app.plugin.jobs.releasePending();
    const released = await app.plugin.db.repos.members.findByPanelClientId('read-due');
    expect([released!.pointsAvailable, released!.pointsPending]).toEqual([40, 25]);
    const after = await app.http.get('/client/rewards').set('Cookie', cookie).expect(200);
    expect([text(after.text, 'balance'), text(after.text, 'pending')]).toEqual(['40', '25']);
  });

  it('serves 200 concurrent views while the member row is locked by a write, with events for that member arriving', async () => {
    const client = 'read-locked';
    await app.send(invoicePaid({ client: { id: client }, invoice: { id: 'RL-1', total: '50.00', items: [] }, occurred_at: app.clock.now().toISOString() })).expect(200);
    app.clock.advance(15 * DAY);
    const member = (await app.plugin.db.repos.members.findByPanelClientId(client))!;
    expect(member.pointsPending).toBe(50);
    const cookie = await session(app, client);

    // Another connection holds the member's row lock (on SQLite: the database's write lock), as
    // a long write would. A view that locked or wrote would queue behind it.
    const holder = createKnex(app.db.url, { poolMax: 1 });
    const trx = await holder.transaction();
    try {
      await trx('loyalty_members').where({ id: member.id }).update({ updated_at: trx.ref('updated_at') });
      // On MariaDB, events for the member arrive meanwhile and wait for the lock; SQLite has one
      // writer connection, so there the events come after (a waiting writer would hold it).
      const mysql = app.db.dialect === 'mysql';
      const events = mysql
        ? Array.from({ length: 10 }, (_, i) => app.send(invoicePaid({ client: { id: client }, invoice: { id: `RL-E${i}`, total: '10.00', items: [] } })).then((r) => r.status))
        : [];
      const views = Array.from({ length: 200 }, () => app.http.get('/client/rewards').set('Cookie', cookie).then((r) => [r.status, text(r.text, 'balance')]));
      const seen = await within(20_000, Promise.all(views), 'a view');
      expect(seen.every(([status]) => status === 200)).toBe(true);
      expect(new Set(seen.map(([, balance]) => balance))).toEqual(new Set(['50']));
      await trx.commit();
      if (mysql) expect(await Promise.all(events)).toEqual(Array(10).fill(200));
    } finally {
      if (!trx.isCompleted()) await trx.rollback();
      await holder.destroy();
    }
    if (app.db.dialect === 'sqlite') {
      const views = Array.from({ length: 200 }, () => app.http.get('/client/rewards').set('Cookie', cookie).then((r) => r.status));
      const events = Array.from({ length: 10 }, (_, i) => app.send(invoicePaid({ client: { id: client }, invoice: { id: `RL-E${i}`, total: '10.00', items: [] } })).then((r) => r.status));
      expect(await Promise.all([...views, ...events])).toEqual(Array(210).fill(200));
    }
    const after = (await app.plugin.db.repos.members.findByPanelClientId(client))!;
    expect(after.pointsAvailable + after.pointsPending).toBe(150);
  });
});
