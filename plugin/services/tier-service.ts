import type { Database } from '../db/database';
import { ConfigError } from '../errors';
import { decideTier, leavesWindowAt, monthKey, nextTier, tierSettingsFrom, tierSettingsSchema, windowMonths, type Tier, type TierSettings } from '../domain/tiers';
import type { Logger } from '../logger';
import type { Repositories } from '../repositories';
import type { Member } from '../domain/member';

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
  allTiers: Tier[];
}

/**
 * Tiers follow rolling-12-month qualifying spend, kept in monthly buckets so reading it costs
 * twelve rows at most. Upgrades happen on the event that crosses a threshold; downgrades wait
 * for the grace period and are made by `review()`, which the scheduler calls.
 */
export class TierService {
  private cached: { tiers: Tier[]; settings: TierSettings; at: number } | null = null;

  /** Called inside the transaction that changed a tier (the client-tier discount method). */
  onChange?: (repos: Repositories, member: Member, to: Tier, changeId: number, now: Date) => Promise<void>;

  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
    private readonly logger?: Logger,
  ) {}

  async init(): Promise<void> {
    await this.config();
  }

  /**
   * Inside a transaction pass its repositories: on SQLite the pool has one connection, which
   * the transaction holds, so a read through the pool would wait for ever.
   */
  async config(repos: Repositories = this.db.repos): Promise<{ tiers: Tier[]; settings: TierSettings }> {
    const now = this.clock().getTime();
    if (this.cached && now - this.cached.at < CACHE_MS) return this.cached;
    const parsed = tierSettingsSchema.safeParse(await repos.settings.all());
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new ConfigError(`Tier settings are invalid: ${where}`, 'Correct the tier_* rows in loyalty_settings.');
    }
    this.cached = { tiers: await repos.tiers.list(), settings: tierSettingsFrom(parsed.data), at: now };
    return this.cached;
  }

  invalidate(): void {
    this.cached = null;
  }

  tierOf(tiers: readonly Tier[], member: Member): Tier | null {
    return tiers.find((t) => t.id === member.tierId) ?? null;
  }

  /**
   * Moves `deltaMinor` of qualifying spend into the month it belongs to and re-decides the
   * tier. Runs in the caller's transaction, under the member's row lock.
   */
  async addSpend(repos: Repositories, member: Member, deltaMinor: number, at: Date, now: Date): Promise<Member> {
    if (deltaMinor !== 0) await repos.tiers.addSpend(member.id, monthKey(at), deltaMinor);
    return this.apply(repos, member, now, false);
  }

  /** Downgrades members whose grace period has run out; marks those who just fell below. */
  async review(): Promise<{ reviewed: number; downgraded: number }> {
    const now = this.clock();
    let afterId = 0;
    let reviewed = 0;
    let downgraded = 0;
    for (;;) {
      const ids = await this.db.repos.members.idsWithTier(afterId, REVIEW_BATCH);
      if (ids.length === 0) break;
      for (const id of ids) {
        const changed = await this.db.transaction(async (repos) => {
          const member = await repos.members.findById(id, { forUpdate: true });
          if (!member) return false;
          const next = await this.apply(repos, member, now, true);
          return next.tierId !== member.tierId;
        });
        reviewed++;
        if (changed) downgraded++;
      }
      afterId = ids[ids.length - 1] as number;
      this.logger?.info({ job: 'tier-review', reviewed, downgraded }, 'reviewing tiers');
    }
    return { reviewed, downgraded };
  }

  async status(member: Member | null): Promise<TierStatus> {
    const { tiers, settings } = await this.config();
    const months = windowMonths(this.clock());
    const spendMinor = member ? await this.db.repos.tiers.spendIn(member.id, months) : 0;
    const tier = member ? this.tierOf(tiers, member) : null;
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

  private async apply(repos: Repositories, member: Member, now: Date, review: boolean): Promise<Member> {
    const { tiers, settings } = await this.config(repos);
    const spendMinor = await repos.tiers.spendIn(member.id, windowMonths(now));
    const decision = decideTier({
      tiers,
      currentTierId: member.tierId,
      spendMinor,
      belowSince: member.tierBelowSince,
      now,
      graceDays: settings.graceDays,
      review,
    });
    switch (decision.action) {
      case 'none':
        return member;
      case 'mark_below':
      case 'clear_below': {
        const belowSince = decision.action === 'mark_below' ? now : null;
        await repos.members.setTier(member.id, member.tierId, belowSince, now);
        return { ...member, tierBelowSince: belowSince };
      }
      case 'upgrade':
      case 'downgrade': {
        const to = decision.to ?? tiers[0] ?? null;
        if (!to || to.id === member.tierId) return member;
        await repos.members.setTier(member.id, to.id, null, now);
        const changeId = await repos.tiers.recordChange(member.id, {
          fromTierId: member.tierId,
          toTierId: to.id,
          reason: decision.action === 'upgrade' ? 'spend_reached' : 'grace_expired',
          qualifyingMinor: spendMinor,
          createdAt: now,
        });
        await this.onChange?.(repos, member, to, changeId, now);
        return { ...member, tierId: to.id, tierBelowSince: null };
      }
    }
  }
}
