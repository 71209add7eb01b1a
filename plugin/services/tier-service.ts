import type { Database } from '../db/database';
import type { Tx } from '../db/unit-of-work';
import type { Member } from '../domain/member';
import { decideTier, leavesWindowAt, monthKey, nextTier, windowMonths, type Tier, type TierSettings } from '../domain/tiers';
import type { Logger } from '../logger';
import { MemberAccount } from './member-account';
import type { SettingsService } from './settings-service';
import type { ProgramSnapshot } from './use-case-context';
import type { TierDiscountService } from './tier-discount-service';

const CACHE_MS = 5_000;
const REVIEW_BATCH = 500;

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

/**
 * Tiers follow rolling-12-month qualifying spend, kept in monthly buckets so reading it costs
 * twelve rows at most. Upgrades happen on the event that crosses a threshold; downgrades wait
 * for the grace period and are made by `review()`, which the scheduler calls.
 */
export class TierService {
  private cached: { tiers: Tier[]; at: number } | null = null;

  constructor(
    private readonly db: Database,
    private readonly settings: SettingsService,
    private readonly clock: () => Date,
    private readonly tierDiscounts: TierDiscountService,
    private readonly logger?: Logger,
  ) {}

  async init(): Promise<void> {
    await this.config();
  }

  /** Tiers and tier settings, cached; read through the pool, so never inside a transaction. */
  async config(): Promise<{ tiers: Tier[]; settings: TierSettings }> {
    const settings = await this.settings.tierSettings();
    const now = performance.now();
    if (!this.cached || now - this.cached.at >= CACHE_MS) this.cached = { tiers: await this.db.repos.tiers.list(), at: now };
    return { tiers: this.cached.tiers, settings };
  }

  /** For code that changed tiers or their settings behind the services' back (tests, the demo seed). */
  invalidate(): void {
    this.cached = null;
    this.settings.invalidate();
  }

  /**
   * Moves `deltaMinor` of qualifying spend into the month it belongs to and re-decides the
   * member's tier, in the caller's transaction under the member's row lock.
   */
  async addSpend(tx: Tx, account: MemberAccount, input: { deltaMinor: number; at: Date; snapshot: ProgramSnapshot }): Promise<void> {
    if (input.deltaMinor !== 0) await tx.repos.tiers.addSpend(account.member.id, monthKey(input.at), input.deltaMinor);
    await this.apply(tx, account, input.snapshot, false);
  }

  /** Downgrades members whose grace period has run out; marks those who just fell below. */
  async review(snapshot: ProgramSnapshot): Promise<{ reviewed: number; downgraded: number }> {
    let afterId = 0;
    let reviewed = 0;
    let downgraded = 0;
    for (;;) {
      const ids = await this.db.repos.members.idsWithTier(afterId, REVIEW_BATCH);
      if (ids.length === 0) break;
      for (const id of ids) {
        const changed = await this.db.transaction(async (tx) => {
          const account = await MemberAccount.lock(tx, { id });
          if (!account) return false;
          const before = account.member.tierId;
          await this.apply(tx, account, snapshot, true);
          return account.member.tierId !== before;
        });
        reviewed++;
        if (changed) downgraded++;
      }
      afterId = ids[ids.length - 1] as number;
      this.logger?.info({ job: 'tier-review', reviewed, downgraded }, 'reviewing tiers');
    }
    return { reviewed, downgraded };
  }

  /** For display: reads through the pool and takes no lock. */
  async status(member: Member | null): Promise<TierStatus> {
    const { tiers, settings } = await this.config();
    const months = windowMonths(this.clock());
    const spendMinor = member ? await this.db.repos.tiers.spendIn(member.id, months) : 0;
    const tier = member ? (tiers.find((t) => t.id === member.tierId) ?? null) : null;
    const shown = tier ?? tiers[0] ?? null;
    const next = nextTier(tiers, shown);
    const oldest = member && next ? await this.db.repos.tiers.oldestSpendMonth(member.id, months) : null;
    return {
      tier: shown,
      next,
      spendMinor,
      toNextMinor: next ? Math.max(0, next.thresholdMinor - spendMinor) : 0,
      nextBy: oldest ? leavesWindowAt(oldest) : null,
      settings,
      allTiers: tiers,
    };
  }

  private async apply(tx: Tx, account: MemberAccount, snapshot: ProgramSnapshot, review: boolean): Promise<void> {
    const { tiers, tierSettings } = snapshot;
    const member = account.member;
    const spendMinor = await tx.repos.tiers.spendIn(member.id, windowMonths(tx.now));
    const decision = decideTier({
      tiers,
      currentTierId: member.tierId,
      spendMinor,
      belowSince: member.tierBelowSince,
      now: tx.now,
      graceDays: tierSettings.graceDays,
      review,
      paused: member.servicesSuspended > 0,
    });
    switch (decision.action) {
      case 'none':
        return;
      case 'mark_below':
      case 'clear_below':
        await account.setTier(member.tierId, decision.action === 'mark_below' ? tx.now : null);
        return;
      case 'upgrade':
      case 'downgrade': {
        const to = decision.to ?? tiers[0] ?? null;
        if (!to || to.id === member.tierId) return;
        const fromTierId = member.tierId;
        const reason = decision.action === 'upgrade' ? 'spend_reached' : 'grace_expired';
        await account.setTier(to.id, null);
        const changeId = await tx.repos.tiers.recordChange(member.id, { fromTierId, toTierId: to.id, reason, qualifyingMinor: spendMinor, createdAt: tx.now });
        await this.tierDiscounts.tierChanged(tx, account, { tier: to, changeId, snapshot });
        tx.afterCommit('tier.changed', { memberId: member.id, panelClientId: member.panelClientId, fromTierId, toTierId: to.id, reason });
      }
    }
  }
}
