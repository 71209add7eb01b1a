import type { Tx } from '../db/unit-of-work';
import { thresholdsReached, warningSummary } from '../domain/expiry-warnings';
import { sumByLastDay } from '../i18n/format';
import type { EmailOutcome } from '../services/email-service';
import { MemberAccount } from '../services/member-account';
import { BatchProgress } from '../lib/batch-progress';
import { daily, type JobContext, type JobCounts, type JobDefinition } from './job-definition';
import { decodeInstant, encodeInstant, isAfterInstant, type InstantPosition } from './keyset';

const NAME = 'expiry-warnings';
/** Lots read per batch; each batch's members are warned one transaction each. */
const BATCH = 500;
/** Last days an email lists; the total covers them all. */
const LINES = 10;
/** Before every lot: the first batch's position. */
const START: InstantPosition = { at: new Date(0), id: 0 };

/**
 * Tells members about points that expire within a threshold (`expiry_warning_days`, default
 * 30 and 7 days), once per lot, threshold and deadline (domain/expiry-warnings.ts). Walks the
 * open lots in the warning window that still need a word, along the (expiring_at, id) index;
 * for each member met, under their row lock, records a row per (lot, deadline, threshold)
 * reached and queues one email in the same transaction, which names everything of theirs that
 * expires by the dates it warns about. The rows' primary key, not the lease, is what makes a
 * rerun, a resumed batch or a second instance find nothing left to say.
 */
async function run(ctx: JobContext, batchSize: number): Promise<JobCounts> {
  const { db } = ctx.deps;
  const settings = await ctx.deps.settings();
  const thresholds = [...settings.expiry_warning_days].sort((a, b) => a - b);
  const counts = { members: 0, lots: 0, emails: 0, no_address: 0, ...ctx.resume.counts };
  // With no way to send, warnings would be recorded as given and never reach anyone.
  const channel = settings.email_channel;
  if (channel === 'none' || thresholds.length === 0) return counts;
  const period = ctx.period ?? ctx.now.toISOString();
  const seen = new Set<number>();
  let after = decodeInstant(NAME, ctx.resume.marker);
  // Lots walked against lots due. Warned lots leave the walk, so a resumed run counts what is left.
  const progress = new BatchProgress((p) => ctx.progress(p), 'lots', await db.repos.expiryWarnings.countDue(ctx.now, thresholds));
  for (;;) {
    const batch = await db.repos.expiryWarnings.due(ctx.now, thresholds, after && { expiresAt: after.at, id: after.id }, batchSize);
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (!first || !last) break;
    const next: InstantPosition = { at: last.expiresAt, id: last.id };
    if (after && !isAfterInstant({ at: first.expiresAt, id: first.id }, after)) throw new Error(`${NAME} made no progress past ${encodeInstant(after)}`);
    const memberIds = [...new Set(batch.map((l) => l.memberId))].sort((a, b) => a - b);
    for (const id of memberIds) {
      // A member whose lots span batches was warned about all of them the first time.
      if (seen.has(id)) continue;
      seen.add(id);
      if (ctx.dryRun) {
        counts.members++;
        continue;
      }
      const tally = await db.transaction(async (tx) => {
        const warned = await warnMember(tx, ctx, id, thresholds, period, channel);
        if (warned.lots === 0) return null;
        const next = { ...counts, members: counts.members + 1, lots: counts.lots + warned.lots };
        if (warned.email === 'queued') next.emails++;
        if (warned.email === 'no_address') next.no_address++;
        // Counted in the member's own transaction, at the batch's start: a kill after this
        // commit resumes the batch, finds this member warned already, and still counts them.
        await ctx.checkpoint(encodeInstant(after ?? START), next, tx);
        return next;
      });
      if (tally) Object.assign(counts, tally);
    }
    after = next;
    await ctx.checkpoint(encodeInstant(after), counts);
    progress.batch(batch.length, counts);
    ctx.logger?.info({ job: NAME, ...counts }, 'warning about expiring points');
  }
  progress.finish(counts);
  return counts;
}

async function warnMember(
  tx: Tx,
  ctx: JobContext,
  memberId: number,
  thresholds: readonly number[],
  period: string,
  channel: 'panel' | 'smtp',
): Promise<{ lots: number; email: EmailOutcome | null }> {
  const account = await MemberAccount.lock(tx, { id: memberId });
  if (!account) return { lots: 0, email: null };
  const max = thresholds[thresholds.length - 1] ?? 0;
  const lots = await tx.repos.expiryWarnings.memberLotsWithin(memberId, ctx.now, max);
  let fresh = 0;
  let through: Date | null = null;
  for (const lot of lots) {
    let any = false;
    for (const t of thresholdsReached(lot.expiresAt, ctx.now, thresholds)) {
      if (await tx.repos.expiryWarnings.record({ lotId: lot.id, expiresAt: lot.expiresAt, thresholdDays: t, memberId }, tx.now)) any = true;
    }
    if (!any) continue;
    fresh++;
    // Lots come soonest first: the last one warned about is the latest date the email names.
    through = lot.expiresAt;
  }
  if (!through) return { lots: 0, email: null };
  // Everything open that expires by the dates named, not only the lots warned about now.
  const { lines, total } = warningSummary(lots, through);
  const member = account.member;
  // Told as the Rewards tab tells them: each deadline's last day, on the program's clock.
  const days = sumByLastDay(lines, ctx.deps.emails.localeOf(member.locale), ctx.timeZone);
  const email = await ctx.deps.emails.queue(tx, channel, {
    member,
    template: 'expiry-warning',
    period,
    model: {
      name: member.name,
      lots: days.slice(0, LINES),
      total,
      firstDay: days[0]?.day,
      balance: member.pointsAvailable,
    },
  });
  return { lots: fresh, email };
}

/** The job with another batch size: tests walk several batches with a few lots. */
export function expiryWarningsJob(options: { batchSize?: number } = {}): JobDefinition {
  const batchSize = options.batchSize ?? BATCH;
  return {
    name: NAME,
    schedule: '23 9 * * *',
    description: 'Emails members whose points expire within the warning thresholds, once per lot, threshold and deadline.',
    cadence: daily,
    run: (ctx) => run(ctx, ctx.batchSize ?? batchSize),
  };
}

export const expiryWarnings = expiryWarningsJob();
