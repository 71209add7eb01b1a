import type { JobProgress } from '../../plugin/jobs/job-definition';
import { DemoPanelApi } from '../../plugin/panels/demo/demo-panel-api';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Members seeded; one of them has a second lot in the warning window. */
const MEMBERS = 7;
const SMALL = 2;

/**
 * `--batch-size` (issue 8: `npm run job` with a progress bar): every batched job walks its work
 * in batches of the size asked for, reports its progress after each batch against a total, and
 * does the same work as with its own batch size. Two databases seeded alike: one runs each job
 * with its default size, the other with batches of two, and they must end up the same.
 */
describe('batched jobs: --batch-size and progress per batch', () => {
  let whole: TestApp;
  let small: TestApp;
  const program = {
    refund_window_days: 0,
    email_channel: 'panel' as const,
    statements_default_opt_in: true,
    birthday_bonus: { active: true, points: 50 },
    anniversary_bonus: { active: false, points_per_year: 10 },
  };

  async function seed(app: TestApp): Promise<void> {
    const [top] = await app.plugin.db.knex('loyalty_tiers').orderBy('threshold_minor', 'desc').select('id');
    for (let i = 1; i <= MEMBERS; i++) {
      await app.plugin.db.transaction(async (tx) => {
        // Born on the day the birthday job runs (the clock's).
        const account = await MemberAccount.enrol(tx, { id: `batch-${i}`, email: `batch${i}@example.com`, name: `Member ${i}`, birthday: '1990-11-23' });
        const credit = (points: number, expiresInDays: number, availableAt = tx.now) =>
          account.credit({ kind: 'earn', points, reasonCode: 'test', earnedAt: tx.now, availableAt, expiresAt: new Date(tx.now.getTime() + expiresInDays * DAY) });
        await credit(10, 5);
        if (i === 1) await credit(20, 20);
        // Pending for an hour: the release job's work once the clocks move on.
        await credit(3, 200, new Date(tx.now.getTime() + HOUR));
      });
    }
    // Top tier held, grace long over: the tier review's work.
    await app.plugin.db.knex('loyalty_members').update({ tier_id: top.id, tier_below_since: new Date(app.clock.now().getTime() - 400 * DAY) });
    app.plugin.services.tiers.invalidate();
  }

  beforeAll(async () => {
    whole = await startTestApp({ panelApi: new DemoPanelApi(), program });
    small = await startTestApp({ panelApi: new DemoPanelApi(), program });
    await seed(whole);
    await seed(small);
  });
  afterEach(async () => {
    await expectBalancesConsistent(whole.plugin);
    await expectBalancesConsistent(small.plugin);
  });
  afterAll(async () => {
    await whole.close();
    await small.close();
  });

  /** What the jobs write, without what differs between two databases by chance (referral codes, clocks of rows). */
  async function written(app: TestApp): Promise<unknown> {
    const knex = app.plugin.db.knex;
    const rows = async (table: string, columns: string[], order: string[]) => (await knex(table).select(columns).orderBy(order)).map((r: Record<string, unknown>) => ({ ...r }));
    return {
      members: await rows('loyalty_members', ['id', 'points_available', 'points_pending', 'tier_id'], ['id']),
      ledger: await rows('loyalty_ledger', ['member_id', 'kind', 'delta', 'reference'], ['id']),
      warnings: await rows('loyalty_expiry_warnings', ['lot_id', 'threshold_days', 'member_id'], ['lot_id', 'threshold_days']),
      outbox: await rows('loyalty_outbox', ['action', 'idempotency_key'], ['idempotency_key']),
      churn: await rows('loyalty_churn_flags', ['member_id', 'reasons'], ['member_id']),
      tierChanges: await rows('loyalty_tier_changes', ['member_id', 'from_tier_id', 'to_tier_id'], ['id']),
    };
  }

  async function runBoth(name: string, period?: string) {
    const seen: { whole: JobProgress[]; small: JobProgress[] } = { whole: [], small: [] };
    const a = await whole.plugin.jobs.run(name, { period, onProgress: (p) => seen.whole.push(p) });
    const b = await small.plugin.jobs.run(name, { period, batchSize: SMALL, onProgress: (p) => seen.small.push(p) });
    expect(a).toMatchObject({ status: 'done' });
    expect(b).toEqual(a);
    expect(await written(small)).toEqual(await written(whole));
    return { counts: a.counts, whole: seen.whole, small: seen.small };
  }

  /** Items done after each batch, and the total reported with the last. */
  const walked = (events: JobProgress[]) => events.map((e) => e.done);
  const last = (events: JobProgress[]) => events[events.length - 1];

  it('expiry-warnings: lots in batches of two; a member warned about both lots in one email', async () => {
    const run = await runBoth('expiry-warnings', '2026-11-23');
    expect(run.counts).toMatchObject({ members: MEMBERS, lots: MEMBERS + 1, emails: MEMBERS });
    // Member 1's second lot is warned with their first, so batches of two meet seven of the
    // eight lots counted, and the last report says all is done; one batch reads all eight.
    expect(walked(run.small)).toEqual([2, 4, 6, 7, 7]);
    expect(run.small[0]).toMatchObject({ done: 2, total: MEMBERS + 1, unit: 'lots' });
    expect(last(run.small)).toMatchObject({ done: 7, total: 7 });
    expect(run.whole.map((e) => `${e.done}/${e.total}`)).toEqual(['8/8']);
  });

  it('birthday-and-anniversary: members in batches of two', async () => {
    const run = await runBoth('birthday-and-anniversary', '2026-11-23');
    expect(run.counts).toMatchObject({ birthday: MEMBERS, points: 50 * MEMBERS });
    expect(run.small.map((e) => `${e.done}/${e.total} ${e.unit}`)).toEqual(['2/7 members', '4/7 members', '6/7 members', '7/7 members']);
    expect(run.small[1]?.counts).toMatchObject({ birthday: 4, points: 200 });
    expect(walked(run.whole)).toEqual([7]);
  });

  it('statements: members in batches of two', async () => {
    const run = await runBoth('statements', '2026-10');
    expect(run.counts).toMatchObject({ emails: MEMBERS });
    expect(run.small.map((e) => `${e.done}/${e.total}`)).toEqual(['2/7', '4/7', '6/7', '7/7']);
    expect(walked(run.whole)).toEqual([7]);
  });

  it('churn-risk: members in batches of two', async () => {
    const run = await runBoth('churn-risk', '2026-11-23');
    expect(run.counts).toMatchObject({ members: MEMBERS });
    expect(run.small.map((e) => `${e.done}/${e.total} ${e.unit}`)).toEqual(['2/7 members', '4/7 members', '6/7 members', '7/7 members']);
    expect(walked(run.whole)).toEqual([7]);
  });

  it('review-tiers: members whose grace is over, in batches of two', async () => {
    const run = await runBoth('review-tiers', '2026-11-23');
    expect(run.counts).toMatchObject({ reviewed: MEMBERS, downgraded: MEMBERS });
    expect(run.small.map((e) => `${e.done}/${e.total} ${e.unit}`)).toEqual(['2/7 members', '4/7 members', '6/7 members', '7/7 members']);
    expect(run.small[0]?.counts).toMatchObject({ reviewed: 2, downgraded: 2 });
    expect(walked(run.whole)).toEqual([7]);
  });

  it('release-pending: members in batches of two', async () => {
    whole.clock.advance(2 * HOUR);
    small.clock.advance(2 * HOUR);
    try {
      const run = await runBoth('release-pending');
      expect(run.counts).toEqual({ members: MEMBERS, points: 3 * MEMBERS });
      expect(run.small.map((e) => `${e.done}/${e.total} ${e.unit}`)).toEqual(['2/7 members', '4/7 members', '6/7 members', '7/7 members']);
      expect(run.small[1]?.counts).toEqual({ members: 4, points: 12 });
      expect(walked(run.whole)).toEqual([7]);
    } finally {
      whole.clock.advance(-2 * HOUR);
      small.clock.advance(-2 * HOUR);
    }
  });

  it('a job with nothing to do reports no progress', async () => {
    const seen: JobProgress[] = [];
    expect(await small.plugin.jobs.run('release-pending', { batchSize: SMALL, onProgress: (p) => seen.push(p) })).toMatchObject({ status: 'done', counts: { members: 0 } });
    expect(seen).toEqual([]);
  });
});
