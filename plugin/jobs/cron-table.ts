import cron from 'node-cron';
import type { Logger } from '../logger';
import type { JobSchedule } from './schedules';

/** What the table needs of a cron task: node-cron's, or a test's stand-in. */
export interface CronTask {
  stop(): void | Promise<void>;
}

export type ScheduleTask = (schedule: JobSchedule, run: () => void) => CronTask;

/** node-cron: `noOverlap` only stops a slow run overlapping itself in this process; the lease does the rest. */
const nodeCron: ScheduleTask = (s, run) => cron.schedule(s.cron, run, { name: s.name, noOverlap: true, timezone: s.timeZone });

/**
 * The sidecar's cron, kept in line with the settings: every instance schedules every job (each
 * run first takes the job's lease, so one instance runs it), and `refresh()` re-reads the
 * schedules and time zone, replacing only the tasks whose expression or zone changed.
 */
export class CronTable {
  private readonly tasks = new Map<string, { key: string; task: CronTask }>();

  constructor(
    private readonly schedules: () => Promise<JobSchedule[]>,
    private readonly run: (job: string) => Promise<void>,
    private readonly logger?: Logger,
    private readonly scheduleTask: ScheduleTask = nodeCron,
  ) {}

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

  /** The expression and zone each job runs on now. */
  get current(): Record<string, string> {
    return Object.fromEntries([...this.tasks].map(([name, t]) => [name, t.key]));
  }

  async stop(): Promise<void> {
    for (const { task } of this.tasks.values()) await task.stop();
    this.tasks.clear();
  }
}
