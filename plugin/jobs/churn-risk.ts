import { BatchProgress } from '../lib/batch-progress';
import { daily, type JobContext, type JobCounts, type JobDefinition } from './job-definition';

const BATCH = 500;

/**
 * Flags members at risk of leaving, with their reasons, and clears flags whose signals are
 * gone (services/churn-service.ts). Batches of members in id order; the marker is the last id
 * done, so a killed run resumes after it.
 */
async function run(ctx: JobContext, batchSize: number): Promise<JobCounts> {
  const churn = ctx.deps.churn;
  const settings = await churn.churnSettings();
  const counts = { members: 0, flagged: 0, cleared: 0, ...ctx.resume.counts };
  let afterId = ctx.resume.marker === null ? 0 : Number(ctx.resume.marker);
  if (!Number.isSafeInteger(afterId)) throw new Error(`churn-risk: unreadable progress marker ${JSON.stringify(ctx.resume.marker)}`);
  const progress = new BatchProgress((p) => ctx.progress(p), 'members', await churn.membersAfter(afterId));
  for (;;) {
    const r = await churn.flagBatch({ now: ctx.now, afterId, limit: batchSize, dryRun: ctx.dryRun, settings });
    if (r.lastId === null) break;
    if (r.lastId <= afterId) throw new Error(`churn-risk made no progress past member ${afterId}`);
    counts.members += r.members;
    counts.flagged += r.flagged;
    counts.cleared += r.cleared;
    afterId = r.lastId;
    await ctx.checkpoint(String(afterId), counts);
    progress.batch(r.members, counts);
    ctx.logger?.info({ job: 'churn-risk', ...counts }, 'flagging churn risk');
  }
  progress.finish(counts);
  return counts;
}

/** The job with another batch size (the CLI's --batch-size overrides either). */
export function churnRiskJob(options: { batchSize?: number } = {}): JobDefinition {
  const batchSize = options.batchSize ?? BATCH;
  return {
    name: 'churn-risk',
    schedule: '47 4 * * *',
    description: 'Flags members with no recent payment, suspended, cancelled or downgraded services, or spend down sharply; clears flags whose signals are gone.',
    cadence: daily,
    run: (ctx) => run(ctx, ctx.batchSize ?? batchSize),
  };
}

export const churnRisk = churnRiskJob();
