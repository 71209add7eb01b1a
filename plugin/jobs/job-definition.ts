import type { Database } from '../db/database';
import type { Tx } from '../db/unit-of-work';
import { zonedInstant } from '../domain/time-zone';
import type { BatchProgressReport } from '../lib/batch-progress';
import type { Member } from '../domain/member';
import type { Settings } from '../domain/settings';
import type { Logger } from '../logger';
import type { ChurnService } from '../services/churn-service';
import type { JobCounts } from '../repositories/job-repository';
import type { EmailService } from '../services/email-service';
import type { TierStatus } from '../services/tier-service';

export type { JobCounts };

/**
 * What jobs reach beyond the database: the plugin's existing workers, wired in createPlugin.
 * With `dryRun` a worker reports what it would do and writes nothing.
 */
export interface JobDeps {
  db: Database;
  logger?: Logger;
  /** `batchSize` and `progress` as the job's context has them (`--batch-size`, the CLI's bar). */
  releasePending(options?: { dryRun?: boolean } & BatchOptions): Promise<{ members: number; points: number }>;
  /** `asOf`: the instant the review judges (the run's `now`). */
  reviewTiers(options?: { dryRun?: boolean; asOf?: Date } & BatchOptions): Promise<{ reviewed: number; downgraded: number; marked?: number }>;
  dispatchOutbox(): Promise<{ sent: number; retried: number; failed: number }>;
  /** Program settings as stored now, validated: member jobs read their switches here. */
  settings(): Promise<Settings>;
  /** Renders member emails and queues them in the job's transaction. */
  emails: EmailService;
  /** Members' tiers and progress towards the next as they stood at `at`, by member id (statements). */
  tierStatusesAt(members: readonly Member[], at: Date): Promise<Map<number, TierStatus>>;
  churn: ChurnService;
}

/** What a worker run by a job takes from the job's context for its batches. */
export interface BatchOptions {
  /** Items per batch; the worker's own when absent. */
  batchSize?: number;
  progress?: (p: JobProgress) => void;
}

export interface JobContext {
  readonly deps: JobDeps;
  /** The run's instant: what is due is due by then. */
  readonly now: Date;
  /** The period key this run records, or null for a continuous job. */
  readonly period: string | null;
  /** Report what would change and write nothing. */
  readonly dryRun: boolean;
  /** Where an earlier attempt of this period stopped, and what it had counted by then. */
  readonly resume: { marker: string | null; counts: JobCounts };
  /**
   * Records a committed batch and renews the lease. Throws LeaseLostError when another
   * instance has taken the job over: the caller must stop. Work done between checkpoints is
   * done again after a crash, so each batch must be idempotent by its data. Given the batch's
   * transaction, the marker and counts commit with the batch, so a crash can't leave work
   * done but uncounted, and a lost lease rolls the batch back.
   */
  checkpoint(marker: string, counts: JobCounts, tx?: Tx): Promise<void>;
  /** Tells whoever runs the job how far it is (the CLI's progress bar); writes nothing. */
  progress(p: JobProgress): void;
  /** Items per batch when the caller chose one (the CLI's --batch-size); else the job's own. */
  readonly batchSize?: number;
  /** The program time zone (setting `time_zone`). */
  readonly timeZone: string;
  readonly logger?: Logger;
}

/** How far a run is: `done` of `total` items (null when the job can't tell), and its counts so far. */
export type JobProgress = BatchProgressReport;

/** A scheduled job, declared once: cron, `plugin.jobs`, the manifest and the CLI read it. */
export interface JobDefinition {
  readonly name: string;
  /** Default cron expression (node-cron syntax), in the program's time zone. */
  readonly schedule: string;
  readonly description: string;
  /** How its runs are keyed: daily, monthly, or continuous. */
  readonly cadence: Cadence;
  run(ctx: JobContext): Promise<JobCounts>;
}

/**
 * How a job's runs are keyed in `loyalty_job_runs`. A continuous job finds its work in the data
 * (what is due now), so it records no run row and is guarded by its lease alone: a row per
 * minute would only grow the table.
 */
export interface Cadence {
  /** What a period looks like, for an operator's `--period`; null for a continuous job. */
  readonly format: string | null;
  /** How often it runs, in words (README). */
  readonly runs: string;
  /** The period a run at `now` belongs to; null for a continuous job. */
  period(now: Date, timeZone: string): string | null;
  /**
   * The first instant after `period` in the zone, or null when `period` is not one of this
   * cadence's. A run for a period that is over acts as of then, so a day caught up late does
   * that day's work (its birthdays, what was due by its end), not today's.
   */
  end(period: string, timeZone: string): Date | null;
  /**
   * The period just before `period`, or null (a continuous job, or a key not of this cadence):
   * a scheduled run catches up the periods since the last finished one (Scheduler).
   */
  previous(period: string): string | null;
  /**
   * How many periods before its own a scheduled run catches up at most (a month of days, a
   * year of months): an outage longer than that leaves the older periods to an operator's
   * `--period`, and the run logs which.
   */
  readonly catchUp: number;
}

/**
 * A run stopped at a checkpoint because its process is shutting down: its row stays `running`
 * and its lease is given back, so another instance (or the next start) resumes it from the
 * last checkpoint.
 */
export class RunInterruptedError extends Error {
  constructor(job: string) {
    super(`Job ${job} was stopped for a shutdown; another instance or the next run resumes where this one stopped`);
    this.name = 'RunInterruptedError';
  }
}

export class LeaseLostError extends Error {
  constructor(job: string) {
    super(`Lease of job ${job} was taken over by another instance`);
    this.name = 'LeaseLostError';
  }
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day of `now` in `timeZone`, as YYYY-MM-DD (Intl formatters are cached: §10). */
export function dayIn(now: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    // en-CA formats dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  return format.format(now);
}

const DAY_KEY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_KEY = /^(\d{4})-(\d{2})$/;

/** [year, 0-based month, day] of a real calendar day written YYYY-MM-DD, else null. */
function parseDay(key: string): [number, number, number] | null {
  const m = DAY_KEY.exec(key);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  if (year < 2000) return null;
  const probe = new Date(Date.UTC(year, month, day));
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month && probe.getUTCDate() === day ? [year, month, day] : null;
}

/** [year, 0-based month] of a month written YYYY-MM, else null. */
export function parseMonth(key: string): [number, number] | null {
  const m = MONTH_KEY.exec(key);
  const month = Number(m?.[2]) - 1;
  // Nothing happened before 2000 (the event contract refuses earlier times); Date.UTC reads years 0–99 as 19xx.
  return m && Number(m[1]) >= 2000 && month >= 0 && month <= 11 ? [Number(m[1]), month] : null;
}

/** One run per calendar day of the program's time zone. */
export const daily: Cadence = {
  format: 'YYYY-MM-DD',
  runs: 'once per day (program time zone)',
  catchUp: 31,
  period: (now, timeZone) => dayIn(now, timeZone),
  end(period, timeZone) {
    const day = parseDay(period);
    return day && zonedInstant({ year: day[0], month: day[1], day: day[2] + 1 }, timeZone);
  },
  previous(period) {
    const day = parseDay(period);
    return day && new Date(Date.UTC(day[0], day[1], day[2] - 1)).toISOString().slice(0, 10);
  },
};

/** One run per month, for the month before the run's (a report of the month just over). */
export const lastMonth: Cadence = {
  format: 'YYYY-MM',
  runs: 'once per month, for the month before (program time zone)',
  catchUp: 12,
  period(now, timeZone) {
    const [y = 0, m = 1] = dayIn(now, timeZone).split('-').map(Number);
    return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  },
  end(period, timeZone) {
    const month = parseMonth(period);
    return month && zonedInstant({ year: month[0], month: month[1] + 1, day: 1 }, timeZone);
  },
  previous(period) {
    const month = parseMonth(period);
    return month && new Date(Date.UTC(month[0], month[1] - 1, 1)).toISOString().slice(0, 7);
  },
};

/**
 * Why an operator's `period` can't run now, or null when it can: a continuous job has no
 * periods, a period must be written as the job's are, and one not begun yet has nothing due.
 */
export function periodProblem(job: JobDefinition, period: string, timeZone: string, now: Date): string | null {
  const { format } = job.cadence;
  if (format === null) return `${job.name} runs continuously on what is due: it has no periods, so drop --period`;
  if (!job.cadence.end(period, timeZone)) return `--period of ${job.name} must be written ${format} (got ${JSON.stringify(period)})`;
  const current = job.cadence.period(now, timeZone) ?? '';
  // Keys of one format sort as their periods do.
  return period > current ? `${job.name} ${period} can't run yet: its latest period is ${current} (${timeZone})` : null;
}

export const continuous: Cadence = { format: null, runs: 'continuously, on what is due', period: () => null, end: () => null, previous: () => null, catchUp: 0 };
