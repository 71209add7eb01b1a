import type { Database } from '../db/database';
import type { Tx } from '../db/unit-of-work';
import type { Member } from '../domain/member';
import { decideTier, localized, leavesWindowAt, monthKey, nextTier, tierRecheckAt, windowMonths, type Tier, type TierSettings } from '../domain/tiers';
import type { Logger } from '../logger';
import { MemberAccount } from './member-account';
import type { SettingsService } from './settings-service';
import type { ProgramSnapshot } from './use-case-context';
import type { EmailService } from './email-service';
import type { TierDiscountService } from './tier-discount-service';
import { ShortCache } from '../lib/short-cache';
import { BatchProgress, type BatchProgressReport } from '../lib/batch-progress';

const CACHE_MS = 5_000;
const REVIEW_BATCH = 500;
/** Members reviewed per transaction: enough to spread the commit, few enough to hold their locks briefly. */
const REVIEW_PER_TRANSACTION = 50;

export interface TierStatus {
  tier: Tier | null;
  next: Tier | null;
  spendMinor: number;
  /** Base-currency minor units still to spend for the next tier. */
  toNextMinor: number;
  /** Reach the next tier before this, or the oldest counted spend leaves the window. */
  nextBy: Date | null;
  settings: TierSettings;
  allTiers: readonly Tier[];
}

const NO_SPEND = { spendMinor: 0, oldest: null };

/** A member's tier (the lowest when they hold none) and what the window's spend leaves to reach the next. */
function statusOf(tiers: Tier[], settings: TierSettings, tierId: number | null, spend: { spendMinor: number; oldest: string | null }): TierStatus {
  const shown = tiers.find((t) => t.id === tierId) ?? tiers[0] ?? null;
  const next = nextTier(tiers, shown);
  const oldest = next ? spend.oldest : null;
  return {
    tier: shown,
    next,
    spendMinor: spend.spendMinor,
    toNextMinor: next ? Math.max(0, next.thresholdMinor - spend.spendMinor) : 0,
    nextBy: oldest ? leavesWindowAt(oldest) : null,
    settings,
    allTiers: tiers,
  };
}

/**
 * Tiers follow rolling-12-month qualifying spend, kept in monthly buckets so reading it costs
 * twelve rows at most. Upgrades happen on the event that crosses a threshold; downgrades wait
 * for the grace period and are made by `review()`, which the scheduler calls.
 */
export class TierService {
  private readonly tiers = new ShortCache(() => this.db.repos.tiers.list(), CACHE_MS);

  constructor(
    private readonly db: Database,
    private readonly settings: SettingsService,
    private readonly clock: () => Date,
    private readonly tierDiscounts: TierDiscountService,
    private readonly emails: EmailService,
    private readonly logger?: Logger,
  ) {}

  async init(): Promise<void> {
    await this.config();
  }

  /** Tiers and tier settings, cached; read through the pool, so never inside a transaction. */
  async config(): Promise<{ tiers: Tier[]; settings: TierSettings }> {
    const [settings, tiers] = await Promise.all([this.settings.tierSettings(), this.tiers.get()]);
    return { tiers, settings };
  }

  /** For code that changed tiers or their settings behind the services' back (tests, the demo seed). */
  invalidate(): void {
    this.tiers.invalidate();
    this.settings.invalidate();
  }

  /**
   * Moves `deltaMinor` of qualifying spend into the month it belongs to and re-decides the
   * member's tier, in the caller's transaction under the member's row lock.
   */
  async addSpend(tx: Tx, account: MemberAccount, input: { deltaMinor: number; at: Date; snapshot: ProgramSnapshot }): Promise<void> {
    if (input.deltaMinor !== 0) await tx.repos.tiers.addSpend(account.member.id, monthKey(input.at), input.deltaMinor);
    await this.apply(tx, account, input.snapshot, false, tx.now);
  }

  /**
   * Downgrades members whose grace period has run out, and marks those whose spend has dropped
   * below their tier as months left the window. Set-based: it reads the members whose grace
   * ended (by `tier_below_since`) and those due a recheck (by `tier_recheck_at`, the instant
   * their oldest windowed spend leaves the window), each list by its index; members whose
   * standing can't have changed are not read. A dry run decides without locking or writing.
   *
   * `asOf` (default now): the instant judged, a past day's end for a day caught up late. The
   * window, the grace and a new grace clock all end or start then, so spend that left the window
   * or a grace that ran out after it is left to that later day's review.
   */
  async review(
    snapshot: ProgramSnapshot,
    options: { dryRun?: boolean; asOf?: Date; batchSize?: number; progress?: (p: BatchProgressReport) => void } = {},
  ): Promise<{ reviewed: number; downgraded: number; marked: number }> {
    const counts = { reviewed: 0, downgraded: 0, marked: 0 };
    const now = options.asOf ?? this.db.now();
    const batchSize = options.batchSize ?? REVIEW_BATCH;
    const graceOverBefore = new Date(now.getTime() - snapshot.tierSettings.graceDays * 86_400_000);
    const lists = [
      ['grace_over', graceOverBefore],
      ['recheck', now],
    ] as const;
    // Both lists counted along their indexes before the walk: a member in both counts twice, as the walk meets them twice.
    const report = options.progress;
    let total = 0;
    if (report) for (const [list, at] of lists) total += await this.db.repos.members.countTierReviewDue(list, at);
    const progress = new BatchProgress(report ?? (() => undefined), 'members', total);
    for (const [list, at] of lists) {
      let afterId = 0;
      for (;;) {
        const ids = await this.db.repos.members.idsTierReviewDue(list, at, afterId, batchSize);
        if (ids.length === 0) break;
        for (let i = 0; i < ids.length; i += REVIEW_PER_TRANSACTION) {
          const chunk = ids.slice(i, i + REVIEW_PER_TRANSACTION);
          const outcomes = options.dryRun ? await Promise.all(chunk.map((id) => this.preview(id, snapshot, now))) : await this.reviewMany(chunk, snapshot, now);
          for (const outcome of outcomes) {
            counts.reviewed++;
            if (outcome === 'downgrade') counts.downgraded++;
            if (outcome === 'mark_below') counts.marked++;
          }
        }
        afterId = ids[ids.length - 1] as number;
        progress.batch(ids.length, counts);
        this.logger?.info({ job: 'tier-review', list, ...counts }, 'reviewing tiers');
      }
    }
    progress.finish(counts);
    return counts;
  }

  /**
   * Several members in one transaction, locked one by one in ascending id order (the order
   * every multi-member lock takes, so no deadlock cycle): a commit per member would cost more
   * than the review itself. A retried transaction reviews them all again, which decides the same.
   */
  private async reviewMany(ids: readonly number[], snapshot: ProgramSnapshot, asOf: Date): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const outcomes: string[] = [];
      for (const id of [...ids].sort((a, b) => a - b)) {
        const account = await MemberAccount.lock(tx, { id });
        outcomes.push(account ? await this.apply(tx, account, snapshot, true, asOf) : 'none');
      }
      return outcomes;
    });
  }

  private async preview(id: number, snapshot: ProgramSnapshot, now: Date): Promise<string> {
    const member = await this.db.repos.members.findById(id);
    if (!member) return 'none';
    const spendMinor = await this.db.repos.tiers.spendIn(id, windowMonths(now));
    const decision = decideTier({
      tiers: snapshot.tiers,
      currentTierId: member.tierId,
      spendMinor,
      belowSince: member.tierBelowSince,
      now,
      graceDays: snapshot.tierSettings.graceDays,
      review: true,
      paused: member.servicesSuspended > 0,
    });
    return decision.action;
  }

  /** For display: reads through the pool and takes no lock. */
  async status(member: Member | null): Promise<TierStatus> {
    const { tiers, settings } = await this.config();
    const months = windowMonths(this.clock());
    const spend = member ? await this.db.repos.tiers.spendWindow(member.id, months) : NO_SPEND;
    return statusOf(tiers, settings, member?.tierId ?? null, spend);
  }

  /**
   * `status` of several members as it stood at `at` (a statement of a past month, at its end):
   * the tier each held then, by their tier-change history, and the spend of the 12-month window
   * that the review judges at `at`. A handful of reads for the whole batch, without a lock.
   */
  async statusesAt(members: readonly Member[], at: Date): Promise<Map<number, TierStatus>> {
    const { tiers, settings } = await this.config();
    const ids = members.map((m) => m.id);
    const [spend, heldAt] = await Promise.all([this.db.repos.tiers.spendWindowMany(ids, windowMonths(at)), this.db.repos.tiers.tiersHeldAt(ids, at)]);
    return new Map(members.map((m) => [m.id, statusOf(tiers, settings, heldAt.has(m.id) ? (heldAt.get(m.id) ?? null) : m.tierId, spend.get(m.id) ?? NO_SPEND)]));
  }

  /** Decides and records the member's tier as of `at`, then when a review should next look at them. Returns what it did. */
  private async apply(tx: Tx, account: MemberAccount, snapshot: ProgramSnapshot, review: boolean, at: Date): Promise<string> {
    const months = await tx.repos.tiers.spendByMonth(account.member.id, windowMonths(at));
    const spendMinor = months.reduce((sum, m) => sum + m.amountMinor, 0);
    const action = await this.decide(tx, account, snapshot, review, spendMinor, at);
    const member = account.member;
    await account.setTierRecheck(tierRecheckAt({ tiers: snapshot.tiers, tierId: member.tierId, belowSince: member.tierBelowSince, spendByMonth: months }));
    return action;
  }

  private async decide(tx: Tx, account: MemberAccount, snapshot: ProgramSnapshot, review: boolean, spendMinor: number, at: Date): Promise<string> {
    const { tiers, tierSettings } = snapshot;
    const member = account.member;
    const decision = decideTier({
      tiers,
      currentTierId: member.tierId,
      spendMinor,
      belowSince: member.tierBelowSince,
      now: at,
      graceDays: tierSettings.graceDays,
      review,
      paused: member.servicesSuspended > 0,
    });
    switch (decision.action) {
      case 'none':
        return 'none';
      case 'mark_below':
      case 'clear_below':
        await account.setTier(member.tierId, decision.action === 'mark_below' ? at : null);
        return decision.action;
      case 'upgrade':
      case 'downgrade': {
        const to = decision.to ?? tiers[0] ?? null;
        if (!to || to.id === member.tierId) return 'none';
        const fromTierId = member.tierId;
        await account.setTier(to.id, null);
        await this.recordChange(tx, account, { fromTierId, to, reason: decision.action === 'upgrade' ? 'spend_reached' : 'grace_expired', qualifyingMinor: spendMinor, snapshot });
        return decision.action;
      }
    }
  }

  /**
   * What a tier change the member's row already shows leaves behind: its history row, the
   * panel's client group (client-tier discounts), the member's email and the domain event.
   */
  async recordChange(
    tx: Tx,
    account: MemberAccount,
    change: { fromTierId: number | null; to: Tier; reason: 'spend_reached' | 'grace_expired'; qualifyingMinor: number; snapshot: ProgramSnapshot },
  ): Promise<void> {
    const { fromTierId, to, reason, snapshot } = change;
    const member = account.member;
    const changeId = await tx.repos.tiers.recordChange(member.id, { fromTierId, toTierId: to.id, reason, qualifyingMinor: change.qualifyingMinor, createdAt: tx.now });
    await this.tierDiscounts.tierChanged(tx, account, { tier: to, changeId, snapshot });
    // Told once per change (the change id is the email's key), in the member's language.
    const language = this.emails.languageOf(member);
    await this.emails.queue(tx, snapshot.emailChannel, {
      member,
      template: 'tier-changed',
      period: `change-${changeId}`,
      model: {
        name: member.name,
        tier: localized(to.names, [language]) ?? to.name,
        up: reason === 'spend_reached',
        perks: localized(to.perks, [language]) ?? [],
      },
    });
    tx.afterCommit('tier.changed', { memberId: member.id, panelClientId: member.panelClientId, fromTierId, toTierId: to.id, reason });
  }
}
