import type { Database } from '../db/database';
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
  releasePending(options?: { dryRun?: boolean }): Promise<{ members: number; points: number }>;
  reviewTiers(options?: { dryRun?: boolean }): Promise<{ reviewed: number; downgraded: number; marked?: number }>;
  dispatchOutbox(): Promise<{ sent: number; retried: number; failed: number }>;
  /** Program settings as stored now, validated: member jobs read their switches here. */
  settings(): Promise<Settings>;
  /** Renders member emails and queues them in the job's transaction. */
  emails: EmailService;
  /** A member's tier and progress towards the next (statements). */
  tierStatus(member: Member): Promise<TierStatus>;
  churn: ChurnService;
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
   * done again after a crash, so each batch must be idempotent by its data.
   */
  checkpoint(marker: string, counts: JobCounts): Promise<void>;
  /** Tells whoever runs the job how far it is (the CLI's progress bar); writes nothing. */
  progress(p: JobProgress): void;
  /** Items per batch when the caller chose one (the CLI's --batch-size); else the job's own. */
  readonly batchSize?: number;
  /** The program time zone (setting `time_zone`). */
  readonly timeZone: string;
  readonly logger?: Logger;
}

/** How far a run is: `done` of `total` items (null when the job can't tell), and its counts so far. */
export interface JobProgress {
  done: number;
  total: number | null;
  /** What the items are ("lots"), for a progress line. */
  unit: string;
  counts: JobCounts;
}

/** A scheduled job, declared once: cron, `plugin.jobs`, the manifest and the CLI read it. */
export interface JobDefinition {
  readonly name: string;
  /** Default cron expression (node-cron syntax), in the program's time zone. */
  readonly schedule: string;
  readonly description: string;
  /**
   * The period a run at `now` belongs to. Null marks a continuous job: it finds its work in
   * the data (what is due now), so it records no run row and is guarded by its lease alone;
   * a row per minute would only grow the table.
   */
  period(now: Date, timeZone: string): string | null;
  run(ctx: JobContext): Promise<JobCounts>;
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

export const daily = (now: Date, timeZone: string): string => dayIn(now, timeZone);
export const continuous = (): null => null;
