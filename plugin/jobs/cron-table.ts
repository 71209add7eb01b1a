import cron, { type ScheduledTask } from 'node-cron';
import { wallTime } from '../domain/time-zone';
import type { Logger } from '../logger';
import type { JobSchedule } from './schedules';

/** What the table needs of a cron task: node-cron's, or a test's stand-in. */
export interface CronTask {
  stop(): void | Promise<void>;
}

export type ScheduleTask = (schedule: JobSchedule, run: () => void) => CronTask;

/**
 * node-cron, plus the times a DST jump skips. `noOverlap` only stops a slow run overlapping
 * itself in this process; the lease does the rest.
 */
const nodeCron: ScheduleTask = (s, run) => {
  const task = cron.schedule(s.cron, run, { name: s.name, noOverlap: true, timezone: s.timeZone });
  const skipped = watchSkippedTimes(s, task, run);
  return {
    async stop() {
      skipped.stop();
      await task.stop();
    },
  };
};

const MINUTE = 60_000;
/** How far back a late tick looks for skipped minutes: a jump's gap is an hour, or a day at most (Samoa, 2011). */
const MAX_SCAN = 26 * 60 * MINUTE;

/** The zone's wall clock at `at`, as the UTC instant with the same fields (ms). */
function wallMs(at: number, timeZone: string): number {
  const w = wallTime(new Date(at), timeZone);
  return Date.UTC(w.year, w.month, w.day, w.hour, w.minute, w.second, w.millisecond);
}

/**
 * node-cron never fires a wall time that a DST jump skips: with `7 2 * * *` in America/New_York
 * nothing runs on the day the clocks go from 02:00 to 03:00, so a daily job's day had no run
 * (its birthdays were never given). As cronie does ("jobs that would have run in the skipped
 * interval run immediately"), this looks at the wall clock each minute and, once it has jumped
 * forward, runs the job at the first minute after the jump if its expression matched a
 * skipped minute (once, however many matched). That run falls in the skipped day's period;
 * the lease and run row keep it once across instances. A repeated hour (fall back) needs
 * nothing here: node-cron fires its time once, and a period's run row stops a second run.
 */
export function watchSkippedTimes(s: JobSchedule, task: Pick<ScheduledTask, 'match'>, run: () => void): CronTask {
  // Matches wall-clock fields: a task in UTC reads a Date's UTC fields, and a skipped wall
  // time has no instant in the program's zone to match with. Never started.
  const wall = cron.createTask(s.cron, () => undefined, { timezone: 'UTC' });
  let last: { at: number; wall: number } | null = null;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const at = Math.floor(Date.now() / MINUTE) * MINUTE;
    const current = { at, wall: wallMs(at, s.timeZone) };
    // node-cron fires this minute itself when it matches (`* * * * *` across the jump).
    if (last && skippedMinutes(last, current, s.timeZone).some((m) => wall.match(new Date(m))) && !task.match(new Date(at))) run();
    last = current;
    arm();
  };
  const arm = () => {
    timer = setTimeout(tick, MINUTE - (Date.now() % MINUTE));
    timer.unref();
  };
  arm();
  return {
    stop() {
      clearTimeout(timer);
      void wall.destroy();
    },
  };
}

/**
 * The wall-clock minutes after `from` up to `to` that no instant between them had: the gap of
 * a forward jump, none when the offset didn't grow. A minute existed if it reads back under
 * the offset before or the offset after.
 */
function skippedMinutes(from: { at: number; wall: number }, to: { at: number; wall: number }, timeZone: string): number[] {
  const before = from.wall - from.at;
  const after = to.wall - to.at;
  if (after <= before) return [];
  const skipped: number[] = [];
  for (let m = Math.max(from.wall + MINUTE, to.wall - MAX_SCAN); m < to.wall; m += MINUTE) {
    if (wallMs(m - before, timeZone) !== m && wallMs(m - after, timeZone) !== m) skipped.push(m);
  }
  return skipped;
}

export interface CronTableOptions {
  logger?: Logger;
  /** Makes a cron task (node-cron by default; tests pass a stand-in). */
  scheduleTask?: ScheduleTask;
  /**
   * Does the runs instances left unfinished (Scheduler.resumeInterrupted): at `start()` and
   * every tick, so a job whose instance died mid-run is taken over within its lease and a tick,
   * not at its next fire time.
   */
  resumeInterrupted?: () => Promise<unknown>;
  /** How often `start()` re-reads the schedules and looks for interrupted runs; a minute by default. */
  tickMs?: number;
}

/**
 * The sidecar's cron, kept in line with the settings: every instance schedules every job (each
 * run first takes the job's lease, so one instance runs it), and `refresh()` re-reads the
 * schedules and time zone, replacing only the tasks whose expression or zone changed. `start()`
 * does that every tick, and each tick also resumes runs left unfinished.
 */
export class CronTable {
  private readonly tasks = new Map<string, { key: string; task: CronTask }>();
  private readonly logger?: Logger;
  private readonly scheduleTask: ScheduleTask;
  private readonly resumeInterrupted?: () => Promise<unknown>;
  private readonly tickMs: number;
  private ticker: NodeJS.Timeout | undefined;
  /** The resumption in progress: a slow one isn't started again over itself. */
  private resuming: Promise<void> | null = null;

  constructor(
    private readonly schedules: () => Promise<JobSchedule[]>,
    private readonly run: (job: string) => Promise<void>,
    options: CronTableOptions = {},
  ) {
    this.logger = options.logger;
    this.scheduleTask = options.scheduleTask ?? nodeCron;
    this.resumeInterrupted = options.resumeInterrupted;
    this.tickMs = options.tickMs ?? MINUTE;
  }

  /**
   * Schedules the jobs, resumes what instances left unfinished (a restart after a crash finds
   * its own runs once their lease has run out), and from then on does both every tick.
   */
  async start(): Promise<void> {
    await this.refresh();
    void this.resume();
    this.ticker = setInterval(() => {
      void this.refresh();
      void this.resume();
    }, this.tickMs);
    this.ticker.unref();
  }

  /** Applies the current schedules; when they can't be read (invalid settings) the running tasks stay. */
  async refresh(): Promise<void> {
    let wanted: JobSchedule[];
    try {
      wanted = await this.schedules();
    } catch (err) {
      this.logger?.error({ err }, 'job schedules unreadable; keeping the current ones');
      return;
    }
    for (const s of wanted) {
      const key = `${s.cron}|${s.timeZone}`;
      const current = this.tasks.get(s.name);
      if (current?.key === key) continue;
      if (current) await current.task.stop();
      this.tasks.set(s.name, { key, task: this.scheduleTask(s, () => void this.run(s.name)) });
      if (current) this.logger?.info({ job: s.name, cron: s.cron, timeZone: s.timeZone }, 'job schedule changed');
    }
  }

  /** Resumes interrupted runs unless a resumption is still going; resolves when the current one ends. */
  resume(): Promise<void> {
    const resumeInterrupted = this.resumeInterrupted;
    if (!resumeInterrupted) return Promise.resolve();
    this.resuming ??= resumeInterrupted()
      .then(
        () => undefined,
        (err: unknown) => this.logger?.error({ err }, 'resuming interrupted job runs failed; trying again at the next tick'),
      )
      .finally(() => {
        this.resuming = null;
      });
    return this.resuming;
  }

  /** The expression and zone each job runs on now. */
  get current(): Record<string, string> {
    return Object.fromEntries([...this.tasks].map(([name, t]) => [name, t.key]));
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    for (const { task } of this.tasks.values()) await task.stop();
    this.tasks.clear();
  }
}
