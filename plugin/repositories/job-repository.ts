import type { Knex } from 'knex';
import { isDuplicateKey } from '../db/errors';
import { toDate, toDateOrNull, toInt } from './row-values';

export const JOB_LEASES = 'loyalty_job_leases';
export const JOB_RUNS = 'loyalty_job_runs';

export type JobCounts = Record<string, number>;
export type JobRunState = 'running' | 'done' | 'failed';

export interface JobRun {
  id: number;
  job: string;
  period: string;
  state: JobRunState;
  owner: string;
  attempts: number;
  /** Where the run stopped: the job's own encoding of its last committed batch. */
  marker: string | null;
  counts: JobCounts;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface JobLease {
  job: string;
  owner: string;
  leaseUntil: Date;
}

/** A lease released is one that expired at the epoch: any claimer takes it at once. */
const RELEASED = new Date(0);
const MAX_ERROR = 2000;

function toRun(row: Record<string, unknown>): JobRun {
  return {
    id: toInt(row.id),
    job: String(row.job),
    period: String(row.period),
    state: row.state as JobRunState,
    owner: String(row.owner),
    attempts: toInt(row.attempts),
    marker: (row.marker as string | null) ?? null,
    counts: row.counts ? (JSON.parse(String(row.counts)) as JobCounts) : {},
    error: (row.error as string | null) ?? null,
    startedAt: toDate(row.started_at),
    finishedAt: toDateOrNull(row.finished_at),
  };
}

/**
 * Leases and run records of scheduled jobs. Every statement runs on its own (autocommit), so a
 * claim or a checkpoint is visible to other instances as soon as it returns.
 *
 * A lease is claimed by one conditional UPDATE checked by affected rows: the UPDATE re-reads
 * the row under its lock (InnoDB's current read; SQLite has one writer), so of two claimers
 * of an expired lease the second matches nothing. The first claim of a job inserts its row,
 * and a concurrent first claim loses on the primary key (caught, not INSERT IGNORE: §10).
 */
export class JobRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** Takes the job's lease if it is free, expired, or already ours; false when another owner holds it. */
  async claimLease(job: string, owner: string, now: Date, until: Date): Promise<boolean> {
    const updated = await this.db(JOB_LEASES)
      .where({ job })
      .andWhere((q) => q.where('lease_until', '<', now).orWhere({ owner }))
      .update({ owner, lease_until: until });
    if (updated > 0) return true;
    try {
      await this.db(JOB_LEASES).insert({ job, owner, lease_until: until });
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return false;
    }
  }

  /** Extends a lease we hold; false when it has been taken over (we must stop). */
  async renewLease(job: string, owner: string, until: Date): Promise<boolean> {
    return (await this.db(JOB_LEASES).where({ job, owner }).update({ lease_until: until })) > 0;
  }

  async releaseLease(job: string, owner: string): Promise<void> {
    await this.db(JOB_LEASES).where({ job, owner }).update({ lease_until: RELEASED });
  }

  async findLease(job: string): Promise<JobLease | null> {
    const row = await this.db(JOB_LEASES).where({ job }).first();
    return row ? { job: String(row.job), owner: String(row.owner), leaseUntil: toDate(row.lease_until) } : null;
  }

  /**
   * Makes a `running` row (not started yet: 0 attempts) for each of these periods of a job that
   * has none, so that if this instance dies before it gets to them, the runs it meant to do are
   * found left running and another instance does them (Scheduler.resumeInterrupted). A period
   * with a row already keeps it as it is.
   */
  async queueRuns(job: string, periods: readonly string[], owner: string, now: Date): Promise<void> {
    for (const period of periods) {
      try {
        await this.db(JOB_RUNS).insert({ job, period, state: 'running', owner, attempts: 0, counts: '{}', started_at: now });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
  }

  /**
   * The run of a job's period for the lease holder: the existing one taken over, or a new row.
   * An unfinished one (queued, its owner died or was stopped, or it failed) is taken over with
   * its marker and counts; a finished one is returned as it is, for the caller to skip.
   */
  async startRun(job: string, period: string, owner: string, now: Date): Promise<JobRun> {
    const takeOver = () =>
      this.db(JOB_RUNS)
        .where({ job, period })
        .whereNot({ state: 'done' })
        .update({ state: 'running', owner, attempts: this.db.raw('attempts + 1'), error: null });
    // The row usually exists (queued by the scheduled run that starts it): update it first.
    if ((await takeOver()) === 0) {
      try {
        await this.db(JOB_RUNS).insert({ job, period, state: 'running', owner, attempts: 1, counts: '{}', started_at: now });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // Done already (the caller skips it), or queued since the UPDATE by an instance that
        // found the lease busy: that one is ours to take.
        await takeOver();
      }
    }
    const run = await this.findRun(job, period);
    if (!run) throw new Error(`Run of ${job} for ${period} vanished after it was started`);
    return run;
  }

  /**
   * The latest periods (newest first, at most `limit`) before `before` whose runs finished:
   * what a scheduled run catches up from. Keys sort as their periods do; the caller skips keys
   * that aren't its cadence's (a host's own labels).
   */
  async donePeriodsBefore(job: string, before: string, limit: number): Promise<string[]> {
    const rows = await this.db(JOB_RUNS).where({ job, state: 'done' }).andWhere('period', '<', before).orderBy('period', 'desc').limit(limit).select('period');
    return rows.map((r: { period: string }) => String(r.period));
  }

  /** The earliest periods (oldest first, at most `limit`) the job has a run of, in any state. */
  async firstPeriods(job: string, limit: number): Promise<string[]> {
    const rows = await this.db(JOB_RUNS).where({ job }).orderBy('period', 'asc').limit(limit).select('period');
    return rows.map((r: { period: string }) => String(r.period));
  }

  /**
   * Jobs with a run left `running` while nobody holds their lease: its instance died (the lease
   * expired), was stopped (it gave the lease back), or queued the run and never got to it.
   */
  async interruptedJobs(now: Date): Promise<string[]> {
    const rows = await this.db(`${JOB_RUNS} as r`)
      .leftJoin(`${JOB_LEASES} as l`, 'l.job', 'r.job')
      .where('r.state', 'running')
      .andWhere((q) => q.whereNull('l.job').orWhere('l.lease_until', '<', now))
      .distinct('r.job')
      .orderBy('r.job');
    return rows.map((r: { job: string }) => String(r.job));
  }

  /** A job's periods whose runs are `running`, oldest first: for the lease holder, the ones to resume. */
  async runningPeriods(job: string): Promise<string[]> {
    const rows = await this.db(JOB_RUNS).where({ state: 'running', job }).orderBy('period', 'asc').select('period');
    return rows.map((r: { period: string }) => String(r.period));
  }

  /** Records a committed batch; false when the run now belongs to another owner. */
  async checkpoint(id: number, owner: string, marker: string, counts: JobCounts): Promise<boolean> {
    return (await this.db(JOB_RUNS).where({ id, owner, state: 'running' }).update({ marker, counts: JSON.stringify(counts) })) > 0;
  }

  async finishRun(id: number, owner: string, outcome: { state: 'done' | 'failed'; counts: JobCounts; error?: string; at: Date }): Promise<boolean> {
    const updated = await this.db(JOB_RUNS)
      .where({ id, owner, state: 'running' })
      .update({
        state: outcome.state,
        counts: JSON.stringify(outcome.counts),
        error: outcome.error === undefined ? null : outcome.error.slice(0, MAX_ERROR),
        finished_at: outcome.at,
      });
    return updated > 0;
  }

  async findRun(job: string, period: string): Promise<JobRun | null> {
    const row = await this.db(JOB_RUNS).where({ job, period }).first();
    return row ? toRun(row) : null;
  }
}
