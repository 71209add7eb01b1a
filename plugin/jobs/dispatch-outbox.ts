import { continuous, type JobCounts, type JobDefinition } from './job-definition';

export const dispatchOutbox: JobDefinition = {
  name: 'dispatch-outbox',
  schedule: '* * * * *',
  description: 'Sends due outbox actions (credit, discount lines) to the panel, with retries.',
  cadence: continuous,
  // A dry run sends nothing: it counts the actions waiting, which a real run would try when due.
  run: async ({ deps, dryRun }): Promise<JobCounts> =>
    dryRun ? { waiting: (await deps.db.repos.outbox.countByState()).pending } : { ...(await deps.dispatchOutbox()) },
};
