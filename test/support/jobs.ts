import type { Database } from '../../plugin/db/database';
import type { HostingRewardsPlugin } from '../../plugin/index';
import type { JobContext, JobDeps } from '../../plugin/jobs/job-definition';

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
    tierStatus: (member) => plugin.services.tiers.status(member),
    churn: plugin.services.churn,
  };
}

/** The parts of a JobContext a test calling `job.run` directly has no use for. */
export const QUIET_JOB_CONTEXT: Pick<JobContext, 'progress' | 'timeZone'> = { progress: () => undefined, timeZone: 'UTC' };
