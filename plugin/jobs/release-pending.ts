import { continuous, type JobDefinition } from './job-definition';

export const releasePending: JobDefinition = {
  name: 'release-pending',
  schedule: '* * * * *',
  description: 'Makes pending points spendable once their refund window has passed.',
  cadence: continuous,
  run: async (ctx) => ({ ...(await ctx.deps.releasePending({ dryRun: ctx.dryRun, batchSize: ctx.batchSize, progress: (p) => ctx.progress(p) })) }),
};
