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
  /** How long a claim holds without renewal: a crashed owner's job waits this long (then the next `resumeInterrupted`). */
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
/** Run keys read to find a job's last finished period: a host's own labels among them are skipped. */
const KEYS_READ = 10;

/**
 * Runs declared jobs so that each runs in one instance at a time (a lease row) and each
 * period once (a run row), resuming an interrupted period from its last checkpoint. A
 * scheduled run first catches up the periods since the job's last finished one, and records
 * every period it means to run before it starts, so that when its instance dies (or is
 * stopped) another instance's `resumeInterrupted` finds them left running once the lease has
 * run out, and does them. The same object serves the sidecar's cron, `plugin.jobs.run` and
 * the CLI.
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
  private readonly inFlight = new Set<Promise<unknown>>();
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
    return this.timed(() => this.track(this.runOnce(name, options)));
  }

  /**
   * Does the runs other instances left unfinished: a run is `running` while nobody holds its
   * job's lease when its instance died (the lease ran out), was stopped for a shutdown (it gave
   * the lease back), or recorded the run and never got to it. Each such job's lease is claimed
   * as for any run, then its periods left running are resumed from their markers, oldest first.
   * Cheap when there are none (one indexed read): the sidecar's cron calls it at start and every
   * minute, so a dead instance's job is taken over within the lease and a minute; a host with
   * its own cron calls it as often.
   */
  async resumeInterrupted(): Promise<JobOutcome[]> {
    if (this.stopping) return [];
    const outcomes: JobOutcome[] = [];
    for (const name of await this.db.repos.jobs.interruptedJobs(this.db.now())) {
      const job = findJob(name, this.jobs);
      // A job this version doesn't declare (a host's own, or one removed) isn't ours to run.
      if (!job || job.cadence.format === null) continue;
      outcomes.push(...(await this.track(this.resume(job))));
    }
    return outcomes;
  }

  /**
   * For a shutdown: starts no new run (they answer `skipped: busy`), stops the runs in progress
   * at their next checkpoint (the batch in hand rolls back; the run row stays `running`, so
   * another instance's `resumeInterrupted`, or this one's next start, resumes it from the last
   * checkpoint), and resolves once they have released their leases.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private async track<T>(running: Promise<T>): Promise<T> {
    this.inFlight.add(running);
    try {
      return await running;
    } finally {
      this.inFlight.delete(running);
    }
  }

  /** Runs one period's work and tells `onFinished` how it went. */
  private async timed(body: () => Promise<JobOutcome>): Promise<JobOutcome> {
    const started = performance.now();
    const outcome = await body();
    this.onFinished?.(outcome, (performance.now() - started) / 1000);
    return outcome;
  }

  private async runOnce(name: string, options: RunOptions): Promise<JobOutcome> {
    const job = findJob(name, this.jobs);
    if (!job) throw new Error(`Unknown job ${JSON.stringify(name)}; jobs are ${this.jobs.map((j) => j.name).join(', ')}`);
    const timeZone = await this.timeZone();
    const now = this.db.now();
    const period = options.period ?? job.cadence.period(now, timeZone);
    const asOf = options.period === undefined ? now : periodAsOf(job, options.period, timeZone, now);
    const shared = { timeZone, batchSize: options.batchSize, progress: options.onProgress ?? (() => {}) };
    if (options.dryRun) return this.dryRun(job, asOf, period, shared);
    // A scheduled run of a job with periods; a named period is an operator's or a host's, and catches nothing up.
    const scheduled = options.period === undefined ? period : null;
    // Stopping, the pool may be closing: the other instances' own cron fires for the period.
    if (this.stopping) return { job: job.name, period, status: 'skipped', reason: 'busy', counts: {} };
    if (this.running.has(job.name)) return this.busy(job, period, scheduled, now);
    this.running.add(job.name);
    try {
      const repos = this.db.repos.jobs;
      if (!(await repos.claimLease(job.name, this.owner, now, this.leaseUntil()))) return await this.busy(job, period, scheduled, now);
      const lease = new HeldLease(this, job.name, this.heartbeatMs);
      try {
        if (scheduled === null) return await this.runHeld(job, { now, asOf }, period, lease, shared);
        const missed = await this.missedPeriods(job, scheduled, timeZone);
        // Recorded before any starts: if this instance dies, another finds them all left running.
        await repos.queueRuns(job.name, [...missed, scheduled], this.owner, now);
        for (const previous of missed) {
          if (!(await this.catchUp(job, previous, lease, shared))) return { job: job.name, period, status: 'skipped', reason: 'busy', counts: {} };
        }
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
   * Another run holds the job. A scheduled run's period still gets its row (unless it has one):
   * if the holder is busy with something else (a period run by hand, a resumed run) rather than
   * this period, the first `resumeInterrupted` after it lets go runs it, instead of the period
   * waiting for the next fire time (a month, for statements). Only an INSERT of a row nobody has,
   * so it needs no lease.
   */
  private async busy(job: JobDefinition, period: string | null, scheduled: string | null, now: Date): Promise<JobOutcome> {
    if (scheduled !== null) await this.db.repos.jobs.queueRuns(job.name, [scheduled], this.owner, now);
    return { job: job.name, period, status: 'skipped', reason: 'busy', counts: {} };
  }

  /**
   * The periods before `period` a scheduled run does first, oldest first: every one since the
   * job's last finished period (days every instance was down at the fire time, days a
   * weekday-only schedule doesn't fire on, a fire time a DST jump skipped, a run that failed or
   * was stopped), or since its first run when none has finished. At most `cadence.catchUp` of
   * them: an outage longer than that doesn't replay months of days in one run, and the older
   * periods are logged with the command that runs them. A job that has never run here catches
   * nothing up (a new install's first statements shouldn't also report the month before it).
   */
  private async missedPeriods(job: JobDefinition, period: string, timeZone: string): Promise<string[]> {
    const { cadence } = job;
    const repos = this.db.repos.jobs;
    const isPeriod = (key: string) => cadence.end(key, timeZone) !== null;
    const lastDone = (await repos.donePeriodsBefore(job.name, period, KEYS_READ)).find(isPeriod);
    const first = lastDone === undefined ? (await repos.firstPeriods(job.name, KEYS_READ)).find(isPeriod) : undefined;
    // Keys of one format sort as their periods do.
    const missing = (key: string) => (lastDone !== undefined ? key > lastDone : first !== undefined && key >= first);
    const missed: string[] = [];
    let key = cadence.previous(period);
    for (; key !== null && missing(key) && missed.length < cadence.catchUp; key = cadence.previous(key)) missed.unshift(key);
    if (key !== null && missing(key)) {
      const since = lastDone !== undefined ? `after ${lastDone}` : `from ${first ?? ''}`;
      this.deps.logger?.warn(
        { job: job.name, lastDone: lastDone ?? null, oldestCaughtUp: missed[0] ?? null, notCaughtUp: { since, through: key } },
        `${job.name}: periods ${since} through ${key} have no finished run and are older than the ${cadence.catchUp} a scheduled run catches up; run each by hand: npm run job -- ${job.name} --period ${key}`,
      );
    }
    return missed;
  }

  /**
   * Runs a period before the scheduled one, as of its end (a day caught up late does that
   * day's work). The lease is already ours and the run row is keyed by period, so this is
   * exactly once across instances like any run. False when this run must stop: the lease was
   * lost, or a shutdown began.
   */
  private async catchUp(job: JobDefinition, period: string, lease: HeldLease, shared: Shared): Promise<boolean> {
    const end = job.cadence.end(period, shared.timeZone) ?? this.db.now();
    this.deps.logger?.warn({ job: job.name, period }, 'catching up a period with no finished run');
    await this.timed(() => this.runHeld(job, { now: this.db.now(), asOf: end }, period, lease, shared));
    return !this.stopping && !lease.lost && (await this.renew(job.name));
  }

  /** Takes a job's lease and resumes its periods left running, oldest first (resumeInterrupted). */
  private async resume(job: JobDefinition): Promise<JobOutcome[]> {
    if (this.stopping || this.running.has(job.name)) return [];
    this.running.add(job.name);
    try {
      const repos = this.db.repos.jobs;
      if (!(await repos.claimLease(job.name, this.owner, this.db.now(), this.leaseUntil()))) return [];
      const lease = new HeldLease(this, job.name, this.heartbeatMs);
      try {
        const shared: Shared = { timeZone: await this.timeZone(), progress: () => {} };
        const outcomes: JobOutcome[] = [];
        // Under the lease, every row still running was left by an instance that has let go of it.
        for (const period of await repos.runningPeriods(job.name)) {
          if (outcomes.length > 0 && (this.stopping || lease.lost || !(await this.renew(job.name)))) break;
          const now = this.db.now();
          this.deps.logger?.warn({ job: job.name, period }, 'resuming a run that another instance (or a stopped one) left unfinished');
          outcomes.push(await this.timed(() => this.runHeld(job, { now, asOf: periodAsOf(job, period, shared.timeZone, now) }, period, lease, shared)));
        }
        return outcomes;
      } finally {
        lease.stop();
        await repos.releaseLease(job.name, this.owner);
      }
    } finally {
      this.running.delete(job.name);
    }
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
      // A lost lease means the run row is someone else's now: leave it to them. A run stopped for
      // a shutdown stays running, for whichever instance looks for interrupted runs next.
      if (run && !(err instanceof LeaseLostError) && !(err instanceof RunInterruptedError)) {
        await repos.finishRun(run.id, this.owner, { state: 'failed', counts, error, at: this.db.now() });
      }
      if (err instanceof RunInterruptedError) this.deps.logger?.warn({ job: job.name, period, counts }, 'job stopped for a shutdown; another instance or the next start resumes it');
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
