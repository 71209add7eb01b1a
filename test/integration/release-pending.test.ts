import type { Knex } from 'knex';
import { createLogger } from '../../plugin/logger';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

const DAY = 86_400_000;

/**
 * The release job (issue 14): finds its work through an index on what is due, and walks each
 * member once, so data it can't release (a cached pending balance that disagrees with the lots)
 * is reported instead of spinning the per-minute job for ever.
 */
describe('release-pending', () => {
  let app: TestApp;
  const logged: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    app = await startTestApp({
      program: { refund_window_days: 14 },
      logger: createLogger('info', { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) }),
    });
  });
  afterAll(() => app.close());

  const paid = (client: string, invoice: string) =>
    app.send(invoicePaid({ client: { id: client }, invoice: { id: invoice, total: '30.00', items: [] }, occurred_at: app.clock.now().toISOString() })).expect(200);
  const member = async (client: string) => (await app.plugin.db.repos.members.findByPanelClientId(client))!;

  it('releases every due member once and reports members whose cached balance disagrees with their lots', async () => {
    for (const client of ['rp-a', 'rp-broken', 'rp-c']) await paid(client, `${client}-1`);
    app.clock.advance(15 * DAY);
    // A pending balance of 0 beside a due pending lot: releaseDue has nothing to move, so before
    // the fix the job found the same member in every batch and never returned.
    const broken = await member('rp-broken');
    await app.plugin.db.knex('loyalty_members').where({ id: broken.id }).update({ points_pending: 0, points_available: 30 });

    expect(await app.plugin.jobs.releasePending()).toEqual({ members: 2, points: 60 });
    expect((await member('rp-a')).pointsAvailable).toBe(30);
    expect((await member('rp-c')).pointsAvailable).toBe(30);
    const warning = logged.find((l) => l.job === 'release-pending' && l.level === 40);
    expect(warning).toMatchObject({ members: [broken.id], count: 1 });
    expect(String(warning?.msg)).toMatch(/points_pending/);

    // Put the member right (lots are the truth) and the next run releases them.
    await app.plugin.db.knex('loyalty_members').where({ id: broken.id }).update({ points_pending: 30, points_available: 0 });
    expect(await app.plugin.jobs.releasePending()).toEqual({ members: 1, points: 30 });
    await expectBalancesConsistent(app.plugin);
  });

  it('finds due members through the release index, not by reading every lot', async () => {
    await paid('rp-plan', 'rp-plan-1');
    if (app.db.dialect === 'mysql') await app.plugin.db.knex.raw('ANALYZE TABLE loyalty_lots');
    else await app.plugin.db.knex.raw('ANALYZE');
    const selects: Array<{ sql: string; bindings: readonly unknown[] }> = [];
    const onQuery = (q: { sql: string; bindings?: readonly unknown[] }) => {
      if (/^select distinct/i.test(q.sql) && /loyalty_lots/.test(q.sql)) selects.push({ sql: q.sql, bindings: q.bindings ?? [] });
    };
    app.plugin.db.knex.on('query', onQuery);
    try {
      await app.plugin.jobs.releasePending();
    } finally {
      app.plugin.db.knex.removeListener('query', onQuery);
    }
    expect(selects.length).toBeGreaterThan(0);
    for (const q of selects) {
      const explained = (await app.plugin.db.knex.raw(`EXPLAIN ${app.db.dialect === 'sqlite' ? 'QUERY PLAN ' : ''}${q.sql}`, q.bindings as Knex.RawBinding[])) as unknown;
      const rows = (app.db.dialect === 'mysql' ? (explained as unknown[][])[0] : explained) as Array<Record<string, unknown>>;
      const plan = rows.map((r) => (app.db.dialect === 'mysql' ? `${String(r.type)} ${String(r.key)}` : String(r.detail))).join('; ');
      expect(plan).toMatch(/loyalty_lots_release_due_idx/);
      expect(plan).not.toMatch(/^ALL |SCAN loyalty_lots(?! USING)/);
    }
  });
});
