import type { Knex } from 'knex';
import { Database } from '../../plugin/db/database';
import { Scheduler } from '../../plugin/jobs/scheduler';
import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';
import { QUIET_JOB_CONTEXT, testJobDeps } from '../support/jobs';

const DAY = 86_400_000;
const DUE_MEMBERS = 12;
const HISTORY_PER_MEMBER = 30;

interface Cost {
  statements: number;
  rowsReturned: number;
  /** MariaDB only: the session's Handler_read_* counters, the rows the engine read. */
  rowsRead: number | null;
  plans: string[];
}

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

  async function handlerReads(knex: Knex): Promise<number | null> {
    if (app.db.dialect !== 'mysql') return null;
    const [rows] = (await knex.raw("SHOW SESSION STATUS LIKE 'Handler_read%'")) as [Array<{ Variable_name: string; Value: string }>];
    return rows.reduce((sum, r) => sum + Number(r.Value), 0);
  }

  async function run(period: string, due = DUE_MEMBERS): Promise<Cost> {
    // Fresh statistics after the bulk inserts, as a nightly run would have: the plan is then the one a large table gets.
    if (app.db.dialect === 'mysql') await app.plugin.db.knex.raw('ANALYZE TABLE loyalty_lots');
    else await app.plugin.db.knex.raw('ANALYZE');
    const scheduler = new Scheduler(measured, testJobDeps(app.plugin, measured));
    const lotQueries: Array<{ sql: string; bindings: readonly unknown[] }> = [];
    let statements = 0;
    let rowsReturned = 0;
    const onQuery = (q: { sql: string; bindings?: readonly unknown[] }) => {
      statements++;
      if (/loyalty_lots/.test(q.sql) && /^select/i.test(q.sql)) lotQueries.push({ sql: q.sql, bindings: q.bindings ?? [] });
    };
    const onResponse = (response: unknown) => {
      if (Array.isArray(response)) rowsReturned += response.length;
    };
    const before = await handlerReads(measured.knex);
    measured.knex.on('query', onQuery).on('query-response', onResponse);
    try {
      expect(await scheduler.run('expire-points', { period })).toMatchObject({ status: 'done', counts: { members: due, lots: due } });
    } finally {
      measured.knex.removeListener('query', onQuery).removeListener('query-response', onResponse);
    }
    const after = await handlerReads(measured.knex);
    const plans: string[] = [];
    for (const q of lotQueries) {
      const explained = (await measured.knex.raw(`EXPLAIN ${app.db.dialect === 'sqlite' ? 'QUERY PLAN ' : ''}${q.sql}`, q.bindings as Knex.RawBinding[])) as unknown;
      const rows = (app.db.dialect === 'mysql' ? (explained as unknown[][])[0] : explained) as Array<Record<string, unknown>>;
      plans.push(...rows.map((r) => String(app.db.dialect === 'mysql' ? `${String(r.type)} ${String(r.key)}` : r.detail)));
    }
    return { statements, rowsReturned, rowsRead: before === null || after === null ? null : after - before, plans: [...new Set(plans)].sort() };
  }

  it('reads the same rows with 10× the history behind the same lots due', async () => {
    await history(HISTORY_PER_MEMBER);
    // A first run opens the tables on the measured connection (MariaDB reads their statistics then).
    await run('cost-0', 0);
    await dueLots();
    const onefold = await run('cost-1');
    await history(9 * HISTORY_PER_MEMBER);
    await dueLots();
    const tenfold = await run('cost-10');

    expect(tenfold.statements).toBe(onefold.statements);
    expect(tenfold.rowsReturned).toBe(onefold.rowsReturned);
    if (tenfold.rowsRead !== null && onefold.rowsRead !== null) {
      // HISTORY_PER_MEMBER × 9 × DUE_MEMBERS (3,240) spent lots were added behind these members; the walk reads none of them.
      // (±2: an index scan may or may not step onto one entry past its range, as neighbours come and go.)
      expect(Math.abs(tenfold.rowsRead - onefold.rowsRead)).toBeLessThanOrEqual(2);
    }
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
        expect(cost.plans).toEqual(['range loyalty_lots_expiring_idx', 'range loyalty_lots_member_expiring_remaining_idx']);
      }
    }
    await expectBalancesConsistent(app.plugin);
  });
});
