import { Database } from '../../plugin/db/database';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';
import { expectSameCost, type JobRunCost, measureJobRun, testJobDeps } from '../support/jobs';

const DAY = 86_400_000;
const DUE_MEMBERS = 12;
const HISTORY_PER_MEMBER = 30;

/**
 * expiry-warnings costs the open lots in its window, not the history (issue 8): the same lots
 * due a warning, with ten times the spent lots behind them (spent lots whose deadline falls in
 * the window included, which an index on `expires_at` would walk) and the expired ones, take the
 * same statements, return the same rows and (on MariaDB) read the same rows.
 */
describe('expiry-warnings cost', () => {
  let app: TestApp;
  let measured: Database;
  const members: number[] = [];
  let ledgerId = 0;
  beforeAll(async () => {
    app = await startTestApp({ program: { refund_window_days: 0, email_channel: 'panel' } });
    // One connection, so the session counters see every statement of the run.
    measured = Database.connect(app.db.url, { poolMax: 1, clock: app.clock.now });
    // The job's first claim ever inserts its lease row; later ones update it. Both runs measured are later ones.
    await measured.repos.jobs.claimLease('expiry-warnings', 'warm-up', now(), new Date(now().getTime() + 1000));
    await measured.repos.jobs.releaseLease('expiry-warnings', 'warm-up');
  });
  afterAll(async () => {
    await measured.close();
    await app.close();
  });

  const now = () => app.clock.now();

  /** One open lot per member, 10 days from expiry: due a warning at 30 days. */
  async function dueLots(): Promise<void> {
    if (members.length === 0) {
      for (let i = 0; i < DUE_MEMBERS; i++) {
        members.push(await app.plugin.db.transaction(async (tx) => (await MemberAccount.enrol(tx, { id: `warn-cost-${i}`, email: `c${i}@example.com` })).member.id));
      }
    }
    for (const id of members) {
      await app.plugin.db.transaction(async (tx) => {
        const account = await MemberAccount.lock(tx, { id });
        await account?.credit({ kind: 'earn', points: 10, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date(tx.now.getTime() + 10 * DAY) });
      });
    }
    ledgerId = Number((await app.plugin.db.knex('loyalty_ledger').max({ id: 'id' }).first())?.id);
  }

  /** Spends each member's points: their lots warned about become spent lots inside the window. */
  async function spendAll(): Promise<void> {
    for (const id of members) {
      await app.plugin.db.transaction(async (tx) => {
        const account = await MemberAccount.lock(tx, { id });
        const points = account?.member.pointsAvailable ?? 0;
        if (points > 0) await account?.debit({ kind: 'adjust', points, reasonCode: 'test', reducesLifetime: false, debtPolicy: 'debt' });
      });
    }
  }

  /** Spent lots, half with deadlines inside the warning window, half long expired; they change no balance. */
  async function history(perMember: number): Promise<void> {
    const rows = [];
    for (const memberId of members) {
      for (let i = 0; i < perMember; i++) {
        const expiresAt = i % 2 === 0 ? new Date(now().getTime() + (1 + (i % 29)) * DAY + i * 1000) : new Date(now().getTime() - 400 * DAY + i * 1000);
        const at = new Date(expiresAt.getTime() - 365 * DAY);
        rows.push({ member_id: memberId, ledger_id: ledgerId, points: 5, remaining: 0, pending: false, earned_at: at, available_at: at, expires_at: expiresAt });
      }
    }
    await app.plugin.db.knex.batchInsert('loyalty_lots', rows, 100);
  }

  const run = (period: string): Promise<JobRunCost> =>
    measureJobRun(
      measured,
      ['loyalty_lots', 'loyalty_expiry_warnings'],
      async (scheduler) => {
        expect(await scheduler.run('expiry-warnings', { period })).toMatchObject({ status: 'done', counts: { members: DUE_MEMBERS, lots: DUE_MEMBERS, emails: DUE_MEMBERS } });
      },
      testJobDeps(app.plugin, measured),
    );

  it('reads the same rows with 10× the spent history, in the window and long expired, behind the same lots due', async () => {
    await dueLots();
    await history(HISTORY_PER_MEMBER);
    // A first run opens the tables on the measured connection (MariaDB reads their statistics then).
    await run('warn-cost-0');
    await spendAll();
    await dueLots();
    const onefold = await run('warn-cost-1');
    await spendAll();
    await history(9 * HISTORY_PER_MEMBER);
    await dueLots();
    const tenfold = await run('warn-cost-10');

    // HISTORY_PER_MEMBER × 9 × DUE_MEMBERS (3,240) spent lots were added behind these members, half of
    // them expiring inside the window, and a round of warned lots was spent; the walk reads none of them.
    expectSameCost(tenfold, onefold);
    // Every lots read goes through an index on what is open, in order, and each lot costs one key probe of the warnings.
    for (const cost of [onefold, tenfold]) {
      if (app.db.dialect === 'sqlite') {
        expect(cost.plans).toEqual([
          'CORRELATED SCALAR SUBQUERY 1',
          'SEARCH l USING INDEX loyalty_lots_expiring_idx (expiring_at>? AND expiring_at<?)',
          'SEARCH loyalty_lots USING INDEX loyalty_lots_member_expiring_remaining_idx (member_id=? AND expiring_at>? AND expiring_at<?)',
          'SEARCH w USING COVERING INDEX sqlite_autoindex_loyalty_expiry_warnings_1 (lot_id=? AND expires_at=? AND threshold_days=?)',
          // The member's lots in the window, same-instant ones by id: a handful.
          'USE TEMP B-TREE FOR LAST TERM OF ORDER BY',
        ]);
      } else {
        expect(cost.plans).toEqual(['l range loyalty_lots_expiring_idx', 'loyalty_lots range loyalty_lots_member_expiring_remaining_idx', 'w eq_ref PRIMARY']);
      }
    }
    await expectBalancesConsistent(app.plugin);
  });
});
