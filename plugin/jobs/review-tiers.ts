import { daily, type JobDefinition } from './job-definition';

export const reviewTiers: JobDefinition = {
  name: 'review-tiers',
  // Daily: downgrades are measured in days of grace.
  schedule: '17 3 * * *',
  description: 'Downgrades members whose grace period below their tier has run out, and starts the grace of those whose spend left the 12-month window.',
  cadence: daily,
  // As of the run's instant: a past day's end when that day is caught up late.
  run: async (ctx) => ({ ...(await ctx.deps.reviewTiers({ dryRun: ctx.dryRun, asOf: ctx.now, batchSize: ctx.batchSize, progress: (p) => ctx.progress(p) })) }),
};
