import type { Knex } from 'knex';
import type { Database } from '../../plugin/db/database';
import { Scheduler } from '../../plugin/jobs/scheduler';
import type { HostingRewardsPlugin } from '../../plugin/index';
import type { JobContext, JobCounts, JobDefinition, JobDeps } from '../../plugin/jobs/job-definition';

/**
 * What a job gets from the plugin, for tests that run a job or a Scheduler of their own: the
 * plugin's services, and no-op stand-ins for the other jobs. `db` may be a second pool on the
 * same database (a second instance).
 */
export function testJobDeps(plugin: HostingRewardsPlugin, db: Database = plugin.db): JobDeps {
  return {
    db,
    releasePending: async () => ({ members: 0, points: 0 }),
    reviewTiers: async () => ({ reviewed: 0, downgraded: 0 }),
    dispatchOutbox: async () => ({ sent: 0, retried: 0, failed: 0 }),
    settings: () => plugin.services.settings.snapshot(),
    emails: plugin.services.emails,
    tierStatusesAt: (members, at) => plugin.services.tiers.statusesAt(members, at),
    churn: plugin.services.churn,
  };
}

/** The parts of a JobContext a test calling `job.run` directly has no use for. */
export const QUIET_JOB_CONTEXT: Pick<JobContext, 'progress' | 'timeZone'> = { progress: () => undefined, timeZone: 'UTC' };

/**
 * Runs `job` as a process that dies right after its first checkpoint commits (as a kill -9
 * would leave it), and returns that checkpoint: what a resumed run starts from.
 */
export async function runUntilFirstCheckpoint(
  job: JobDefinition,
  context: Omit<JobContext, 'resume' | 'checkpoint'>,
): Promise<JobContext['resume'] & { marker: string }> {
  let saved: { marker: string; counts: JobCounts } | null = null;
  const killed = new Error('killed after the first checkpoint');
  const outcome = await job
    .run({
      ...context,
      resume: { marker: null, counts: {} },
      checkpoint: async (marker, counts, tx) => {
        if (saved !== null) throw killed;
        saved = { marker, counts };
        // A checkpoint inside the work's transaction commits with it: the kill comes after,
        // before anything else is recorded.
        if (!tx) throw killed;
      },
    })
    .then(
      () => 'finished',
      (err: unknown) => (err === killed ? 'killed' : err),
    );
  if (outcome !== 'killed' || saved === null) throw new Error(`the job did not reach a checkpoint (${String(outcome)})`);
  return saved;
}

/** What one job run cost, measured on a Database of one connection (so the session counters see every statement). */
export interface JobRunCost {
  statements: number;
  rowsReturned: number;
  /** MariaDB only: the session's Handler_read_* counters, the rows the engine read. */
  rowsRead: number | null;
  /** How each read of `loyalty_lots` was planned (MariaDB: `table type key`; SQLite: the plan's lines), once each, sorted. */
  plans: string[];
}

/**
 * Runs `run` against `measured` after fresh statistics on `tables` (as a nightly run would have
 * them after bulk inserts: the plans are then the ones a large table gets), counting statements
 * and rows returned, the rows MariaDB read, and the plans of its reads of the lots.
 */
export async function measureJobRun(measured: Database, tables: readonly string[], run: (scheduler: Scheduler) => Promise<void>, deps: JobDeps): Promise<JobRunCost> {
  const knex = measured.knex;
  const mysql = measured.dialect === 'mysql';
  if (mysql) await knex.raw(`ANALYZE TABLE ${tables.map(() => '??').join(', ')}`, [...tables]);
  else await knex.raw('ANALYZE');
  const handlerReads = async (): Promise<number | null> => {
    if (!mysql) return null;
    const [rows] = (await knex.raw("SHOW SESSION STATUS LIKE 'Handler_read%'")) as [Array<{ Value: string }>];
    return rows.reduce((sum, r) => sum + Number(r.Value), 0);
  };
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
  const before = await handlerReads();
  knex.on('query', onQuery).on('query-response', onResponse);
  try {
    await run(new Scheduler(measured, deps));
  } finally {
    knex.removeListener('query', onQuery).removeListener('query-response', onResponse);
  }
  const after = await handlerReads();
  const plans: string[] = [];
  for (const q of lotQueries) {
    const explained = (await knex.raw(`EXPLAIN ${mysql ? '' : 'QUERY PLAN '}${q.sql}`, q.bindings as Knex.RawBinding[])) as unknown;
    const rows = (mysql ? (explained as unknown[][])[0] : explained) as Array<Record<string, unknown>>;
    plans.push(...rows.map((r) => (mysql ? `${String(r.table)} ${String(r.type)} ${String(r.key)}` : String(r.detail))));
  }
  return { statements, rowsReturned, rowsRead: before === null || after === null ? null : after - before, plans: [...new Set(plans)].sort() };
}

/**
 * The run with ten times the history behind the same work due costs what the first did: the
 * same statements and rows returned, and on MariaDB the same rows read, give or take 2 (an
 * index scan may or may not step onto one entry past its range, as neighbours come and go).
 */
export function expectSameCost(tenfold: JobRunCost, onefold: JobRunCost): void {
  expect(tenfold.statements).toBe(onefold.statements);
  expect(tenfold.rowsReturned).toBe(onefold.rowsReturned);
  if (tenfold.rowsRead !== null && onefold.rowsRead !== null) expect(Math.abs(tenfold.rowsRead - onefold.rowsRead)).toBeLessThanOrEqual(2);
}
