import type { Database } from '../../plugin/db/database';
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
    tierStatus: (member) => plugin.services.tiers.status(member),
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
