import cron from 'node-cron';
import type { Settings, SettingsCheck } from '../domain/settings';
import type { JobDefinition } from './job-definition';

/** One job as the cron runs it: the program's override, else the job's default, in the program time zone. */
export interface JobSchedule {
  name: string;
  cron: string;
  timeZone: string;
}

/** `job_schedules` may only name declared jobs, each with an expression node-cron accepts. */
export function jobSchedulesCheck(jobs: readonly JobDefinition[]): SettingsCheck {
  return (settings) => {
    const problems = [];
    for (const [name, expression] of Object.entries(settings.job_schedules ?? {})) {
      if (!jobs.some((j) => j.name === name)) {
        problems.push({ key: 'job_schedules', path: name, message: `is not a job; the jobs are ${jobs.map((j) => j.name).join(', ')}` });
      } else if (!cron.validate(expression)) {
        problems.push({ key: 'job_schedules', path: name, message: `${JSON.stringify(expression)} is not a cron expression node-cron accepts` });
      }
    }
    return problems;
  };
}

export function schedulesFor(jobs: readonly JobDefinition[], settings: Pick<Settings, 'job_schedules' | 'time_zone'>): JobSchedule[] {
  return jobs.map((job) => ({
    name: job.name,
    cron: Object.hasOwn(settings.job_schedules, job.name) ? (settings.job_schedules[job.name] ?? job.schedule) : job.schedule,
    timeZone: settings.time_zone,
  }));
}
