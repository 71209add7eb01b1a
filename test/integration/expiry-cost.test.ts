import { Database } from '../../plugin/db/database';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';
import { expectSameCost, type JobRunCost, measureJobRun, QUIET_JOB_CONTEXT, testJobDeps } from '../support/jobs';

const DAY = 86_400_000;
const DUE_MEMBERS = 12;
const HISTORY_PER_MEMBER = 30;

/**
 * expire-points costs what is due, not the history (issue 8): the same lots due, with ten
 * times the spent and expired lots behind them, take the same statements, return the same
 * rows and (on MariaDB) read the same rows.
 */
describe('expire-points cost', () => {
  let app: TestApp;
  let measured: Database;
  let members: number[] = [];
  let ledgerId = 0;
  beforeAll(async () => {
    app = await startTestApp();
    // One connection, so the session counters see every statement of the run.
    measured = Database.connect(app.db.url, { poolMax: 1, clock: app.clock.now });
    // The job's first claim ever inserts its lease row; later ones update it. Both runs measured are later ones.
    await measured.repos.jobs.claimLease('expire-points', 'warm-up', now(), new Date(now().getTime() + 1000));
    await measured.repos.jobs.releaseLease('expire-points', 'warm-up');
  });
  afterAll(async () => {
    await measured.close();
    await app.close();
  });

  const now = () => app.clock.now();

  async function dueLots(): Promise<void> {
    if (members.length === 0) {
      for (let i = 0; i < DUE_MEMBERS; i++) {
        members.push(
          await app.plugin.db.transaction(async (tx) => (await MemberAccount.enrol(tx, { id: `cost-${i}` })).member.id),
        );
      }
    }
    for (const id of members) {
      await app.plugin.db.transaction(async (tx) => {
        const account = await MemberAccount.lock(tx, { id });
        await account?.credit({ kind: 'earn', points: 10, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date(tx.now.getTime() - DAY) });
      });
    }
    ledgerId = Number((await app.plugin.db.knex('loyalty_ledger').max({ id: 'id' }).first())?.id);
  }

  /** Spent and expired lots: remaining 0, long past expiry; they change no balance. */
  async function history(perMember: number): Promise<void> {
    const rows = [];
    const longAgo = new Date(now().getTime() - 800 * DAY);
    for (const memberId of members) {
      for (let i = 0; i < perMember; i++) {
        const at = new Date(longAgo.getTime() + i * 1000);
        rows.push({ member_id: memberId, ledger_id: ledgerId, points: 5, remaining: 0, pending: false, earned_at: at, available_at: at, expires_at: new Date(at.getTime() + 365 * DAY) });
      }
    }
    await app.plugin.db.knex.batchInsert('loyalty_lots', rows, 100);
  }

  const run = (period: string, due = DUE_MEMBERS): Promise<JobRunCost> =>
    measureJobRun(
      measured,
      ['loyalty_lots'],
      async (scheduler) => {
        expect(await scheduler.run('expire-points', { period })).toMatchObject({ status: 'done', counts: { members: due, lots: due } });
      },
      testJobDeps(app.plugin, measured),
    );

  it('reads the same rows with 10× the history behind the same lots due', async () => {
    await history(HISTORY_PER_MEMBER);
    // A first run opens the tables on the measured connection (MariaDB reads their statistics then).
    await run('cost-0', 0);
    await dueLots();
    const onefold = await run('cost-1');
    await history(9 * HISTORY_PER_MEMBER);
    await dueLots();
    const tenfold = await run('cost-10');

    // HISTORY_PER_MEMBER × 9 × DUE_MEMBERS (3,240) spent lots were added behind these members; the walk reads none of them.
    expectSameCost(tenfold, onefold);
    // Every lots read goes through an index on what is open, in order: no scan, no sort, no merge.
    for (const cost of [onefold, tenfold]) {
      if (app.db.dialect === 'sqlite') {
        expect(cost.plans).toEqual([
          'SEARCH loyalty_lots USING INDEX loyalty_lots_expiring_idx (expiring_at<?)',
          'SEARCH loyalty_lots USING INDEX loyalty_lots_expiring_idx (expiring_at>? AND expiring_at<?)',
          'SEARCH loyalty_lots USING INDEX loyalty_lots_member_expiring_remaining_idx (member_id=? AND expiring_at<?)',
          // The member's due lots, sorted by id: a handful.
          'USE TEMP B-TREE FOR ORDER BY',
        ]);
      } else {
        expect(cost.plans).toEqual(['loyalty_lots range loyalty_lots_expiring_idx', 'loyalty_lots range loyalty_lots_member_expiring_remaining_idx']);
      }
    }
    await expectBalancesConsistent(app.plugin);
  });
});
