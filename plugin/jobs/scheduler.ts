import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from '../db/database';
import type { Logger } from '../logger';
import type { Settings } from '../domain/settings';
import { LeaseLostError, RunInterruptedError, type JobContext, type JobCounts, type JobDefinition, type JobDeps, type JobProgress } from './job-definition';
import { findJob, JOBS } from './registry';
import { schedulesFor, type JobSchedule } from './schedules';

export interface SchedulerOptions {
  /** Names this instance in leases and runs; unique per process by default. */
  owner?: string;
  /**
   * The program settings jobs follow (`time_zone`, `job_schedules`), read at every run so a
   * change applies without a restart; createPlugin passes the settings service's snapshot.
   */
  settings?: () => Promise<Pick<Settings, 'time_zone' | 'job_schedules'>>;
  /** Overrides the `time_zone` setting (tests). */
  timeZone?: string;
  /** How long a claim holds without renewal: a crashed owner's job waits this long. */
  leaseMs?: number;
  /** Renewal interval while a job runs, in wall-clock ms; 0 renews only at checkpoints. */
  heartbeatMs?: number;
  jobs?: readonly JobDefinition[];
  /** Told of every run's end (metrics); must not throw. */
  onFinished?: (outcome: JobOutcome, seconds: number) => void;
}

export interface RunOptions {
  /** Run (or re-run) this period instead of the current one. */
  period?: string;
  /** Report what would change and write nothing: no lease, no run row, no effects. */
  dryRun?: boolean;
  /** Items per batch, for jobs that batch (expire-points); each batch is one checkpoint. */
  batchSize?: number;
  /** Called as the job moves on (after each batch of a job that reports progress). */
  onProgress?: (progress: JobProgress) => void;
}

export type JobOutcome =
  | { job: string; period: string | null; status: 'done'; counts: JobCounts; resumedFrom: string | null }
  | { job: string; period: string | null; status: 'skipped'; reason: 'busy' | 'already_done'; counts: JobCounts }
  | { job: string; period: string | null; status: 'failed'; error: string; counts: JobCounts };

const DEFAULT_LEASE_MS = 5 * 60_000;

/**
 * Runs declared jobs so that each runs in one instance at a time (a lease row) and each
 * period once (a run row), resuming an interrupted period from its last checkpoint; a
 * scheduled run first catches up the previous period if it has no finished run. The same
 * object serves the sidecar's cron, `plugin.jobs.run` and the CLI.
 *
 * Lease times come from the plugin's clock, so instances must keep their clocks roughly in
 * step (NTP): a skew larger than the lease lets a second instance take over a live one, which
 * fencing (every run write checks the owner) then stops at its next checkpoint.
 */
export class Scheduler {
  readonly owner: string;
  readonly jobs: readonly JobDefinition[];
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  /** A lease is per owner, so two runs of one job inside this process are stopped here. */
  private readonly running = new Set<string>();
  /** Runs in progress, so a shutdown can wait for them. */
  private readonly inFlight = new Set<Promise<JobOutcome>>();
  private stopping = false;
  private readonly onFinished?: (outcome: JobOutcome, seconds: number) => void;
  private readonly fixedTimeZone: string | undefined;
  private readonly settings: () => Promise<Pick<Settings, 'time_zone' | 'job_schedules'>>;

  constructor(
    private readonly db: Database,
    private readonly deps: JobDeps,
    options: SchedulerOptions = {},
  ) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.fixedTimeZone = options.timeZone;
    this.settings = options.settings ?? (async () => ({ time_zone: 'UTC', job_schedules: {} }));
    this.jobs = options.jobs ?? JOBS;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.heartbeatMs = options.heartbeatMs ?? Math.floor(this.leaseMs / 3);
    this.onFinished = options.onFinished;
  }

  /** The time zone periods are days in: the `time_zone` setting unless the options fixed one. */
  async timeZone(): Promise<string> {
    return this.fixedTimeZone ?? (await this.settings()).time_zone;
  }

  /** Each job's cron expression (the program's override or its default) and time zone, for the sidecar's cron. */
  async schedules(): Promise<JobSchedule[]> {
    const settings = await this.settings();
    return schedulesFor(this.jobs, { ...settings, time_zone: this.fixedTimeZone ?? settings.time_zone });
  }

  async run(name: string, options: RunOptions = {}): Promise<JobOutcome> {
    const started = performance.now();
    const running = this.runOnce(name, options);
    this.inFlight.add(running);
    try {
      const outcome = await running;
      this.onFinished?.(outcome, (performance.now() - started) / 1000);
      return outcome;
    } finally {
      this.inFlight.delete(running);
    }
  }

  /**
   * For a shutdown: starts no new run (they answer `skipped: busy`, and another instance or
   * the next start takes the period), stops the runs in progress at their next checkpoint
   * (the batch in hand rolls back; the next run resumes from the last checkpoint), and
   * resolves once they have released their leases.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private async runOnce(name: string, options: RunOptions): Promise<JobOutcome> {
    const job = findJob(name, this.jobs);
    if (!job) throw new Error(`Unknown job ${JSON.stringify(name)}; jobs are ${this.jobs.map((j) => j.name).join(', ')}`);
    const timeZone = await this.timeZone();
    const now = this.db.now();
    const period = options.period ?? job.cadence.period(now, timeZone);
    const asOf = options.period === undefined ? now : periodAsOf(job, options.period, timeZone, now);
    const base = { job: job.name, period };
    const shared = { timeZone, batchSize: options.batchSize, progress: options.onProgress ?? (() => {}) };
    if (options.dryRun) return this.dryRun(job, asOf, period, shared);
    if (this.stopping || this.running.has(job.name)) return { ...base, status: 'skipped', reason: 'busy', counts: {} };
    this.running.add(job.name);
    try {
      const repos = this.db.repos.jobs;
      // Read before the claim, which makes the row: a job with no lease row has never run in
      // this database, so there is nothing to catch up (a new install's first statements
      // shouldn't also report the month before it).
      const ranBefore = options.period === undefined && period !== null && (await repos.findLease(job.name)) !== null;
      if (!(await repos.claimLease(job.name, this.owner, now, this.leaseUntil()))) return { ...base, status: 'skipped', reason: 'busy', counts: {} };
      const lease = new HeldLease(this, job.name, this.heartbeatMs);
      try {
        if (ranBefore && period !== null && !(await this.catchUp(job, period, now, lease, shared))) return { ...base, status: 'skipped', reason: 'busy', counts: {} };
        return await this.runHeld(job, { now, asOf }, period, lease, shared);
      } finally {
        lease.stop();
        await repos.releaseLease(job.name, this.owner);
      }
    } finally {
      this.running.delete(job.name);
    }
  }

  /**
   * Runs the period before `period` first, as of its end, when it has no finished run: a day
   * whose fire time a DST jump skipped, a day every instance was down at its fire time, or a
   * run that failed or was stopped. One period back only, so a scheduled run costs two more
   * reads (the lease row before its claim, this run row) and a long outage doesn't replay
   * weeks (`npm run job -- --period` does that). The
   * lease is already ours and the run row is keyed by period, so this is exactly once across
   * instances like any run. False when this run must stop: the lease was lost, or a shutdown began.
   */
  private async catchUp(job: JobDefinition, period: string, now: Date, lease: HeldLease, shared: Shared): Promise<boolean> {
    const previous = job.cadence.previous(period);
    const end = previous === null ? null : job.cadence.end(previous, shared.timeZone);
    if (previous === null || end === null || end > now) return true;
    if ((await this.db.repos.jobs.findRun(job.name, previous))?.state === 'done') return true;
    this.deps.logger?.warn({ job: job.name, period: previous }, 'catching up the previous period: it has no finished run');
    const started = performance.now();
    const outcome = await this.runHeld(job, { now, asOf: end }, previous, lease, shared);
    this.onFinished?.(outcome, (performance.now() - started) / 1000);
    return !this.stopping && !lease.lost && (await this.renew(job.name));
  }

  /** Renews our lease on a job; false when another owner has it now. */
  renew(job: string): Promise<boolean> {
    return this.db.repos.jobs.renewLease(job, this.owner, this.leaseUntil());
  }

  private leaseUntil(): Date {
    return new Date(this.db.now().getTime() + this.leaseMs);
  }

  /** `now` is when the run starts; `asOf` the instant its work is due by (the period's end for a past period). */
  private async runHeld(job: JobDefinition, { now, asOf }: { now: Date; asOf: Date }, period: string | null, lease: HeldLease, shared: Shared): Promise<JobOutcome> {
    const repos = this.db.repos.jobs;
    const base = { job: job.name, period };
    const run = period === null ? null : await repos.startRun(job.name, period, this.owner, now);
    if (run?.state === 'done') return { ...base, status: 'skipped', reason: 'already_done', counts: run.counts };
    let counts: JobCounts = run?.counts ?? {};
    const resume = { marker: run?.marker ?? null, counts };
    const ctx: JobContext = {
      ...shared,
      deps: this.deps,
      now: asOf,
      period,
      dryRun: false,
      resume,
      logger: this.deps.logger,
      checkpoint: async (marker, latest, tx) => {
        // A turn of the event loop each batch: on SQLite a run's statements settle without one,
        // so signals, timers and requests would wait for the whole run.
        await new Promise<void>((resolve) => setImmediate(resolve));
        // A shutdown shouldn't wait for the whole run, nor leave its lease held after a forced exit.
        if (this.stopping) throw new RunInterruptedError(job.name);
        // Inside the batch's transaction its own repositories: on SQLite a pool write would wait on it for ever.
        const jobs = tx?.repos.jobs ?? repos;
        if (lease.lost || !(await jobs.renewLease(job.name, this.owner, this.leaseUntil()))) throw new LeaseLostError(job.name);
        if (run && !(await jobs.checkpoint(run.id, this.owner, marker, latest))) throw new LeaseLostError(job.name);
        counts = { ...latest };
      },
    };
    try {
      counts = await job.run(ctx);
      if (run && !(await repos.finishRun(run.id, this.owner, { state: 'done', counts, at: this.db.now() }))) throw new LeaseLostError(job.name);
      this.deps.logger?.info({ job: job.name, period, counts, resumedFrom: resume.marker }, 'job done');
      return { ...base, status: 'done', counts, resumedFrom: resume.marker };
    } catch (err) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      // A lost lease means the run row is someone else's now: leave it to them.
      if (run && !(err instanceof LeaseLostError)) await repos.finishRun(run.id, this.owner, { state: 'failed', counts, error, at: this.db.now() });
      if (err instanceof RunInterruptedError) this.deps.logger?.warn({ job: job.name, period, counts }, 'job stopped for a shutdown; the next run resumes it');
      else this.deps.logger?.error({ job: job.name, period, err }, 'job failed');
      return { ...base, status: 'failed', error, counts };
    }
  }

  private async dryRun(job: JobDefinition, now: Date, period: string | null, shared: Shared): Promise<JobOutcome> {
    const base = { job: job.name, period };
    const run = period === null ? null : await this.db.repos.jobs.findRun(job.name, period);
    if (run?.state === 'done') return { ...base, status: 'skipped', reason: 'already_done', counts: run.counts };
    const ctx: JobContext = {
      ...shared,
      deps: this.deps,
      now,
      period,
      dryRun: true,
      resume: { marker: run?.marker ?? null, counts: run?.counts ?? {} },
      logger: this.deps.logger,
      checkpoint: async () => {},
    };
    try {
      return { ...base, status: 'done', counts: await job.run(ctx), resumedFrom: ctx.resume.marker };
    } catch (err) {
      return { ...base, status: 'failed', error: err instanceof Error ? err.message : String(err), counts: {} };
    }
  }
}

/**
 * The instant a run for an explicit `period` acts as of: the period's end once it is over (a
 * day caught up late does that day's work), else now. A key that isn't one of the job's
 * periods (a host's own label) runs as of now; operators' periods are checked first
 * (`periodProblem`).
 */
function periodAsOf(job: JobDefinition, period: string, timeZone: string, now: Date): Date {
  const end = job.cadence.end(period, timeZone);
  return end && end < now ? end : now;
}

/** What every run's context carries besides its state. */
type Shared = Pick<JobContext, 'timeZone' | 'batchSize' | 'progress'>;

/** Keeps a lease alive while a job runs between checkpoints (a long tier review, say). */
class HeldLease {
  lost = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(scheduler: Scheduler, job: string, everyMs: number) {
    if (everyMs <= 0) return;
    this.timer = setInterval(() => {
      scheduler.renew(job).then(
        (held) => {
          if (!held) this.lost = true;
        },
        () => {
          // A failed renewal is retried at the next beat; the lease outlives several beats.
        },
      );
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
