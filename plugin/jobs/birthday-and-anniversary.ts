import type { Tx } from '../db/unit-of-work';
import { annualReference, monthDaysCelebratedOn, parseDay, yearsCompleted, type AnnualAward } from '../domain/annual-awards';
import { creditExpiry, programFromSettings } from '../domain/program';
import type { Settings } from '../domain/settings';
import { MemberAccount } from '../services/member-account';
import { BatchProgress } from '../lib/batch-progress';
import { daily, type JobContext, type JobCounts, type JobDefinition } from './job-definition';
import { runDay } from './keyset';

const NAME = 'birthday-and-anniversary';
const BATCH = 500;

/** One pass of the walk: an award and a month-day celebrated today, in members' id order. */
interface Stage {
  award: AnnualAward;
  monthDay: string;
}

/** `<stage index>|<last member id>`: the stages are fixed for the day, so an index names one. */
function decode(marker: string | null): { stage: number; afterId: number } {
  if (marker === null) return { stage: 0, afterId: 0 };
  const [stage, id] = marker.split('|').map(Number);
  if (!Number.isSafeInteger(stage) || !Number.isSafeInteger(id)) throw new Error(`${NAME}: unreadable progress marker ${JSON.stringify(marker)}`);
  return { stage: stage ?? 0, afterId: id ?? 0 };
}

function stagesFor(day: string, settings: Settings): Stage[] {
  const awards: AnnualAward[] = [];
  if (settings.birthday_bonus.active) awards.push('birthday');
  if (settings.anniversary_bonus.active) awards.push('anniversary');
  return awards.flatMap((award) => monthDaysCelebratedOn(day).map((monthDay) => ({ award, monthDay })));
}

/**
 * Gives the birthday bonus to members whose birthday is the run's day, and the anniversary
 * bonus (points per year of membership) to members who joined on it, each at most once per
 * member and year. Members are found along the (month-day, id) indexes, so a day costs its
 * celebrants, not the member count; 29 February is celebrated on 28 February in other years.
 * Each award claims its (member, award, year) row and credits the points in one transaction:
 * the unique key, not the lease, stops a replay or a second instance from giving twice.
 */
async function run(ctx: JobContext, batchSize: number): Promise<JobCounts> {
  const { db } = ctx.deps;
  const settings = await ctx.deps.settings();
  const day = runDay(ctx.period, ctx.now);
  const { year } = parseDay(day);
  const stages = stagesFor(day, settings);
  const counts = { birthday: 0, anniversary: 0, points: 0, ...ctx.resume.counts };
  let { stage, afterId } = decode(ctx.resume.marker);
  // The day's celebrants still to walk, each stage along its own index: from the marker on.
  const left = await Promise.all(stages.slice(stage).map((s, i) => db.repos.annualAwards.countCelebrants(s.award, s.monthDay, i === 0 ? afterId : 0)));
  const progress = new BatchProgress((p) => ctx.progress(p), 'members', left.reduce((sum, n) => sum + n, 0));
  for (; stage < stages.length; stage++, afterId = 0) {
    const current = stages[stage];
    if (!current) break;
    for (;;) {
      const ids = await db.repos.annualAwards.celebrants(current.award, current.monthDay, afterId, batchSize);
      const last = ids[ids.length - 1];
      if (last === undefined) break;
      if (last <= afterId) throw new Error(`${NAME} made no progress past member ${afterId}`);
      for (const id of ids) {
        const counted = (points: number) => ({ ...counts, [current.award]: (counts[current.award] ?? 0) + 1, points: (counts.points ?? 0) + points });
        if (ctx.dryRun) {
          const points = await preview(ctx, id, current.award, day, settings);
          if (points > 0) Object.assign(counts, counted(points));
          continue;
        }
        // The award and its count commit together: a kill after the commit resumes after this member.
        const tally = await award(ctx, id, current.award, day, year, settings, (points, tx) => {
          const next = counted(points);
          return ctx.checkpoint(`${stage}|${id}`, next, tx).then(() => next);
        });
        if (tally) Object.assign(counts, tally);
      }
      afterId = last;
      await ctx.checkpoint(`${stage}|${afterId}`, counts);
      progress.batch(ids.length, counts);
    }
  }
  progress.finish(counts);
  ctx.logger?.info({ job: NAME, day, ...counts }, 'birthday and anniversary bonuses given');
  return counts;
}

function pointsFor(award: AnnualAward, joinedAt: Date, day: string, settings: Settings): number {
  if (award === 'birthday') return settings.birthday_bonus.points;
  return settings.anniversary_bonus.points_per_year * yearsCompleted(joinedAt.toISOString().slice(0, 10), day);
}

/** Gives one member their bonus; `record` counts it in the same transaction. Null when there was nothing to give. */
async function award<T>(
  ctx: JobContext,
  memberId: number,
  kind: AnnualAward,
  day: string,
  year: number,
  settings: Settings,
  record: (points: number, tx: Tx) => Promise<T>,
): Promise<T | null> {
  return ctx.deps.db.transaction(async (tx) => {
    const account = await MemberAccount.lock(tx, { id: memberId });
    if (!account) return null;
    const points = pointsFor(kind, account.member.joinedAt, day, settings);
    if (points <= 0) return null;
    if (!(await tx.repos.annualAwards.claim(memberId, kind, year, points, tx.now))) return null;
    await account.credit({
      kind: 'bonus',
      points,
      reasonCode: kind === 'birthday' ? 'birthday_bonus' : 'anniversary_bonus',
      reasonParams: kind === 'birthday' ? { year } : { count: yearsCompleted(account.member.joinedAt.toISOString().slice(0, 10), day) },
      rule: kind,
      reference: annualReference(kind, year),
      earnedAt: tx.now,
      availableAt: tx.now,
      // The program's expiry policy, as for any earning (inactivity included).
      ...creditExpiry(programFromSettings(settings), tx.now),
    });
    return record(points, tx);
  });
}

async function preview(ctx: JobContext, memberId: number, kind: AnnualAward, day: string, settings: Settings): Promise<number> {
  const member = await ctx.deps.db.repos.members.findById(memberId);
  return member ? pointsFor(kind, member.joinedAt, day, settings) : 0;
}

export function birthdayAndAnniversaryJob(options: { batchSize?: number } = {}): JobDefinition {
  const batchSize = options.batchSize ?? BATCH;
  return {
    name: NAME,
    schedule: '41 8 * * *',
    description: 'Gives the birthday bonus and the anniversary bonus (points per year of membership), once per member and year.',
    cadence: daily,
    run: (ctx) => run(ctx, ctx.batchSize ?? batchSize),
  };
}

export const birthdayAndAnniversary = birthdayAndAnniversaryJob();
