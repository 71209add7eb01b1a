import { formatDate, formatLastDay, formatMoney } from '../i18n/format';
import { EXPIRY_WINDOW_DAYS } from '../services/rewards-query-service';
import { zonedInstant } from '../domain/time-zone';
import { BatchProgress } from '../lib/batch-progress';
import { lastMonth, parseMonth, type JobContext, type JobCounts, type JobDefinition } from './job-definition';

const NAME = 'statements';
const BATCH = 200;
const DAY = 86_400_000;

/**
 * [first instant, first instant of the next month) of a `YYYY-MM` period in the program's time
 * zone, for queries and, read on that clock, its first and last days; and the end of the same
 * month in UTC, where tier spend's monthly buckets end.
 */
function monthBounds(period: string, timeZone: string): { from: Date; to: Date; utcEnd: Date } {
  const month = parseMonth(period);
  if (!month) throw new Error(`${NAME}: the period must be a month (YYYY-MM), got ${JSON.stringify(period)}`);
  const [year, index] = month;
  return {
    from: zonedInstant({ year, month: index, day: 1 }, timeZone),
    to: zonedInstant({ year, month: index + 1, day: 1 }, timeZone),
    utcEnd: new Date(Date.UTC(year, index + 1, 1)),
  };
}

/**
 * Emails each member who opted in (or, under `statements_default_opt_in`, never opted out) a
 * statement of the period's month: balance, earned, spent and expired points, what expires
 * soon, and their tier progress, in their language. Members are walked by id from the
 * recipients' filter, in batches with a checkpoint each; every email is one outbox row keyed
 * by member and month, so a rerun or a resumed batch queues nothing twice. The month runs from midnight to midnight in the program's time zone.
 *
 * The balance and the tier progress are the month's closing ones, as the earned and spent
 * beside them are the month's: a statement made after the month (the scheduled run on the 1st,
 * `--period`, a catch-up after downtime) shows them as of the month's end, not as of the run.
 * A month not over yet shows them as of the run.
 */
async function run(ctx: JobContext, batchSize: number): Promise<JobCounts> {
  const { db } = ctx.deps;
  const settings = await ctx.deps.settings();
  const period = ctx.period ?? lastMonth.period(ctx.now, ctx.timeZone) ?? '';
  const { from, to, utcEnd } = monthBounds(period, ctx.timeZone);
  const closedAt = ctx.now < to ? ctx.now : to;
  // The tier standing at the last instant before then, as the review judges an instant. Spend
  // is kept in UTC months: a zone behind UTC closes its month inside the next UTC month, whose
  // bucket holds the next month's spend, so the standing is never read past this month's bucket.
  const standingAt = new Date(Math.min(closedAt.getTime(), utcEnd.getTime()) - 1);
  const counts = { emails: 0, already: 0, ...ctx.resume.counts };
  if (settings.email_channel === 'none') return counts;
  const channel = settings.email_channel;
  let afterId = ctx.resume.marker === null ? 0 : Number(ctx.resume.marker);
  if (!Number.isSafeInteger(afterId)) throw new Error(`${NAME}: unreadable progress marker ${JSON.stringify(ctx.resume.marker)}`);
  const windowEnd = new Date(ctx.now.getTime() + EXPIRY_WINDOW_DAYS * DAY);
  const progress = new BatchProgress((p) => ctx.progress(p), 'members', await db.repos.statements.countRecipients(settings.statements_default_opt_in, afterId));
  for (;;) {
    const ids = await db.repos.statements.recipients(settings.statements_default_opt_in, afterId, batchSize);
    const last = ids[ids.length - 1];
    if (last === undefined) break;
    if (last <= afterId) throw new Error(`${NAME} made no progress past member ${afterId}`);
    if (ctx.dryRun) {
      counts.emails += ids.length;
      afterId = last;
      await ctx.checkpoint(String(afterId), counts);
      progress.batch(ids.length, counts);
      continue;
    }
    // The batch's members, closing balances and tier standings in a few reads, outside any
    // transaction: the tier service reads through the pool, and a statement is a picture of the
    // month, not something a concurrent event must wait for.
    const members = await db.repos.members.findMany(ids);
    const [closing, standings] = await Promise.all([db.repos.statements.closingBalances(ids, closedAt), ctx.deps.tierStatusesAt(members, standingAt)]);
    const byId = new Map(members.map((m) => [m.id, m]));
    for (const id of ids) {
      const member = byId.get(id);
      const balances = closing.get(id);
      const tier = standings.get(id);
      if (!member || !balances || !tier) continue;
      const [summary, expiring] = await Promise.all([db.repos.statements.summary(id, from, to), db.repos.lots.expiringBetween(id, ctx.now, windowEnd)]);
      const locale = ctx.deps.emails.localeOf(member.locale);
      // Days on the program's clock, as the Rewards tab reads them: the month's first and last,
      // and the last day of the first points to expire.
      const model = {
        name: member.name,
        from: formatDate(locale, from, ctx.timeZone),
        to: formatLastDay(locale, to, ctx.timeZone),
        balance: balances.pointsAvailable,
        pending: balances.pointsPending,
        ...summary,
        expiring: expiring.points > 0 && expiring.firstExpiry ? { points: expiring.points, first: formatLastDay(locale, expiring.firstExpiry, ctx.timeZone) } : null,
        tier: tier.tier && {
          name: tier.tier.name,
          next: tier.next && { name: tier.next.name, toGo: formatMoney(locale, { currency: tier.settings.baseCurrency, minor: tier.toNextMinor }) },
        },
      };
      // The email and its count commit together: a kill after the commit resumes after this member.
      const tally = await db.transaction(async (tx) => {
        const outcome = await ctx.deps.emails.queue(tx, channel, { member, template: 'statement', period, model });
        const next = { ...counts, emails: counts.emails + (outcome === 'queued' ? 1 : 0), already: counts.already + (outcome === 'already_queued' ? 1 : 0) };
        await ctx.checkpoint(String(id), next, tx);
        return next;
      });
      Object.assign(counts, tally);
    }
    afterId = last;
    await ctx.checkpoint(String(afterId), counts);
    progress.batch(ids.length, counts);
  }
  progress.finish(counts);
  ctx.logger?.info({ job: NAME, period, ...counts }, 'statements queued');
  return counts;
}

export function statementsJob(options: { batchSize?: number } = {}): JobDefinition {
  const batchSize = options.batchSize ?? BATCH;
  return {
    name: NAME,
    schedule: '17 7 1 * *',
    description: "Emails opted-in members last month's statement: balance, earned, spent, expiring soon, tier progress.",
    cadence: lastMonth,
    run: (ctx) => run(ctx, ctx.batchSize ?? batchSize),
  };
}

export const statements = statementsJob();
