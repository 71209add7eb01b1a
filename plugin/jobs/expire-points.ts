import { planExpiry } from '../domain/expiry-plan';
import { MemberAccount } from '../services/member-account';
import { BatchProgress } from '../lib/batch-progress';
import { daily, type JobContext, type JobCounts, type JobDefinition } from './job-definition';

/** Lots read per batch; each batch's members are expired one transaction each. */
const BATCH = 500;

interface Position {
  expiresAt: Date;
  id: number;
}

const encode = (p: Position): string => `${p.expiresAt.toISOString()}|${p.id}`;

function decode(marker: string | null): Position | null {
  if (marker === null) return null;
  const [at, id] = marker.split('|');
  const expiresAt = new Date(at ?? '');
  const lotId = Number(id);
  if (Number.isNaN(expiresAt.getTime()) || !Number.isSafeInteger(lotId)) throw new Error(`expire-points: unreadable progress marker ${JSON.stringify(marker)}`);
  return { expiresAt, id: lotId };
}

const isAfter = (a: Position, b: Position): boolean =>
  a.expiresAt.getTime() > b.expiresAt.getTime() || (a.expiresAt.getTime() === b.expiresAt.getTime() && a.id > b.id);

/**
 * Walks the open lots due by the run's instant along the (expiring_at, id) index, and expires
 * the members met in a batch: all their due lots at once, under their row locks, the batch in
 * one transaction (MemberAccount.expireMany). Emptied lots leave the index (LotRepository), so a run
 * reads the lots due and not the history; later lots of a member already done have no points
 * left and drop out of the walk; a batch redone after a crash finds nothing. A lot that
 * arrives late with a past expiry behind the walk's position is found by the next period's
 * run, which starts from the top of what is still open.
 */
async function run(ctx: JobContext, batchSize: number): Promise<JobCounts> {
  const { db } = ctx.deps;
  const until = ctx.now;
  const reference = `expire:${ctx.period ?? until.toISOString()}`;
  const counts = { members: 0, points: 0, lots: 0, ...ctx.resume.counts };
  const seen = new Set<number>(); // dry run only: nothing is emptied, so members come round again
  let after = decode(ctx.resume.marker);
  // Lots walked against lots due. A resumed run's count is what is left: emptied lots leave the index.
  const progress = new BatchProgress((p) => ctx.progress(p), 'lots', await db.repos.lots.countDueForExpiry(until));
  for (;;) {
    const batch = await db.repos.lots.dueForExpiry(until, after, batchSize);
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (!first || !last) break;
    // The guard against a walk that stops moving (a driver or collation comparing dates
    // differently from the query): fail loudly rather than spin on the same batch.
    if (after && !isAfter(first, after)) throw new Error(`expire-points made no progress past ${encode(after)}`);
    const memberIds = [...new Set(batch.map((l) => l.memberId))].sort((a, b) => a - b);
    const next = { expiresAt: last.expiresAt, id: last.id };
    const add = (expired: ReadonlyArray<{ points: number; lots: number }>) => {
      const sum = { ...counts };
      for (const e of expired) {
        if (e.lots > 0) sum.members++;
        sum.points += e.points;
        sum.lots += e.lots;
      }
      return sum;
    };
    if (ctx.dryRun) {
      Object.assign(counts, add(await Promise.all(memberIds.map((id) => preview(ctx, id, until, seen)))));
    } else {
      // One transaction per batch (a commit per member would cost more than the work, §9), and
      // its checkpoint in it: a kill after the commit finds the batch counted.
      Object.assign(
        counts,
        await db.transaction(async (tx) => {
          const sum = add([...(await MemberAccount.expireMany(tx, memberIds, until, { reference })).values()]);
          await ctx.checkpoint(encode(next), sum, tx);
          return sum;
        }),
      );
    }
    after = next;
    progress.batch(batch.length, counts);
    ctx.logger?.info({ job: 'expire-points', ...counts }, 'expiring points');
  }
  progress.finish(counts);
  return counts;
}

async function preview(ctx: JobContext, memberId: number, until: Date, seen: Set<number>): Promise<{ points: number; lots: number }> {
  if (seen.has(memberId)) return { points: 0, lots: 0 };
  seen.add(memberId);
  const repos = ctx.deps.db.repos;
  const member = await repos.members.findById(memberId);
  if (!member) return { points: 0, lots: 0 };
  const plan = planExpiry(await repos.lots.expiredFor(memberId, until), member.pointsAvailable);
  return { points: plan.points, lots: plan.lotIds.length };
}

/** The job with another batch size: tests walk several batches with a few lots. */
export function expirePointsJob(options: { batchSize?: number } = {}): JobDefinition {
  const batchSize = options.batchSize ?? BATCH;
  return {
    name: 'expire-points',
    schedule: '7 2 * * *',
    description: 'Expires points past their expiry date, one ledger entry per member.',
    cadence: daily,
    run: (ctx) => run(ctx, ctx.batchSize ?? batchSize),
  };
}

export const expirePoints = expirePointsJob();
