import { continuous, type JobDefinition } from './job-definition';

export const releasePending: JobDefinition = {
  name: 'release-pending',
  schedule: '* * * * *',
  description: 'Makes pending points spendable once their refund window has passed.',
  cadence: continuous,
  run: async ({ deps, dryRun }) => ({ ...(await deps.releasePending({ dryRun })) }),
};
