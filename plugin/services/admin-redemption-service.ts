import { adminActor, type AdminContext } from '../domain/audit';
import { PANEL_ACTIONS, type PanelActionTable } from '../domain/panel-actions';
import { decideRetry, monthBounds, type RedemptionDecision, type Reward } from '../domain/rewards';
import type { Database } from '../db/database';
import type { Tx } from '../db/unit-of-work';
import { ConflictError, NotFoundError } from '../errors';
import type { OutboxEntry } from '../repositories/outbox-repository';
import type { RedemptionFilter, RedemptionListItem } from '../repositories/redemption-repository';
import type { AuditService } from './audit-service';
import { MemberAccount } from './member-account';
import type { ProgramSnapshot } from './use-case-context';

export type { RedemptionFilter, RedemptionListItem } from '../repositories/redemption-repository';

export const REDEMPTION_PAGE_SIZE = 50;

export type RetryResult = { ok: true } | (Extract<RedemptionDecision, { ok: false }> & { available: number });

/** A refusal rolls the unit of work back. */
class Refused extends Error {
  constructor(readonly result: Extract<RetryResult, { ok: false }>) {
    super(result.refusal);
  }
}

/**
 * The admin area's redemptions and panel actions: the list, cancelling a pending redemption
 * (its points go back), and sending a failed panel action again. Each is one unit of work with
 * its audit row, under the member's lock, and safe against the outbox dispatcher working on
 * the same action at the same moment.
 */
export class AdminRedemptionService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly snapshot: () => Promise<ProgramSnapshot>,
    private readonly actions: PanelActionTable = PANEL_ACTIONS,
  ) {}

  /** Newest first, with each one's reward and panel action; `next` continues below the last one. */
  async page(
    filter: RedemptionFilter,
    before: number | null,
    limit = REDEMPTION_PAGE_SIZE,
  ): Promise<{ items: Array<{ redemption: RedemptionListItem; reward: Reward | null; action: OutboxEntry | null }>; next: number | null }> {
    const rows = await this.db.repos.redemptions.page(filter, before, limit + 1);
    const shown = rows.slice(0, limit);
    const [rewards, actions] = await Promise.all([this.db.repos.rewards.list(), Promise.all(shown.map((r) => this.db.repos.outbox.findByKey(r.actionKey)))]);
    const byId = new Map(rewards.map((r) => [r.id, r]));
    return {
      items: shown.map((redemption, i) => ({ redemption, reward: byId.get(redemption.rewardId) ?? null, action: actions[i] ?? null })),
      next: rows.length > limit ? (shown.at(-1)?.id ?? null) : null,
    };
  }

  /**
   * Withdraws a pending redemption whose panel action no dispatcher has claimed yet, and gives
   * the member their points back as they were (lots keep their expiry) and the reward its stock.
   * Once the action has been claimed it may be reaching the panel: then it is refused, and the
   * redemption ends applied or failed (and reversed) as the dispatcher finds.
   */
  async cancel(ctx: AdminContext, redemptionId: number): Promise<void> {
    await this.db.transaction(
      async (tx) => {
        const found = await tx.repos.redemptions.findById(redemptionId);
        if (!found) throw new NotFoundError('not_found', { message: `No redemption ${redemptionId}` });
        const account = await lockMember(tx, found.memberId);
        const redemption = await tx.repos.redemptions.findById(redemptionId);
        if (redemption?.state !== 'pending') throw notCancellable(`it is ${redemption?.state ?? 'gone'}, not pending`);
        if (!(await tx.repos.outbox.cancelUnclaimed(redemption.actionKey, `cancelled by admin ${ctx.admin.id}`))) {
          throw notCancellable('its panel action has already been sent or is being sent; it will end applied, or failed with the points returned');
        }
        if (!(await tx.repos.redemptions.settle(redemption.id, 'cancelled', null, tx.now))) throw notCancellable('it left pending meanwhile');
        await account.restore({ lots: redemption.spentLots, reasonCode: 'redemption_cancelled', reasonParams: { points: redemption.points }, reference: redemption.actionKey });
        // Read under the lock with the state it left: the unit goes back once, and only if it took one.
        if (redemption.tookStock) await tx.repos.rewards.returnStock(redemption.rewardId);
        await this.audit.record(tx, ctx, {
          action: 'redemptions.cancel',
          target: `redemption:${redemption.id}`,
          before: { state: 'pending', points: redemption.points, member: account.member.id },
          after: { state: 'cancelled', pointsReturned: redemption.points },
        });
      },
      { actor: adminActor(ctx.admin) },
    );
  }

  /** The failed panel action of a redemption, sent again (see `retryAction`). */
  async retryRedemption(ctx: AdminContext, redemptionId: number): Promise<RetryResult> {
    const redemption = await this.db.repos.redemptions.findById(redemptionId);
    if (!redemption) throw new NotFoundError('not_found', { message: `No redemption ${redemptionId}` });
    const action = await this.db.repos.outbox.findByKey(redemption.actionKey);
    if (!action) throw notRetriable('the redemption has no panel action');
    return this.retryAction(ctx, action.id);
  }

  /**
   * Queues a failed panel action again with a fresh retry budget (the dispatcher sends it on its
   * next run). A redemption's action failing gave its points back: retrying it takes them again
   * (refused when the member no longer has them) and makes the redemption pending once more, so
   * the member never gets both the points and the reward.
   */
  async retryAction(ctx: AdminContext, outboxId: number, of?: { memberId: number }): Promise<RetryResult> {
    const { program } = await this.snapshot();
    try {
      return await this.db.transaction(
        async (tx) => {
          const action = await tx.repos.outbox.findById(outboxId);
          // Asked from a member's page: another member's action is not found there.
          if (!action || (of && (await tx.repos.members.findById(of.memberId))?.panelClientId !== action.clientId)) {
            throw new NotFoundError('not_found', { message: `No panel action ${outboxId}` });
          }
          if (action.state !== 'failed') throw notRetriable(`it is ${action.state}, not failed`);
          const redemption = await tx.repos.redemptions.findByActionKey(action.idempotencyKey);
          let respent: number | null = null;
          if (redemption) {
            const account = await lockMember(tx, redemption.memberId);
            // Under the lock: the compensation that failed it also ran under it.
            const current = await tx.repos.redemptions.findById(redemption.id);
            if (current?.state !== 'failed') throw notRetriable(`its redemption is ${current?.state ?? 'gone'}`);
            await account.releaseDue();
            await account.expire(tx.now);
            // Live again, it counts against the stock and the limits of the month it was made in.
            const reward = await tx.repos.rewards.find(current.rewardId);
            const member = account.member;
            const refusal = decideRetry({
              reward,
              points: current.points,
              member: { pointsAvailable: member.pointsAvailable, currency: member.currency, tierRank: null, status: member.status },
              ...(reward ? await tx.repos.redemptions.limitCounts(member.id, reward, monthBounds(current.createdAt, program.timeZone)) : { redeemedThisMonth: 0, redeemedInTotal: 0 }),
            });
            if (refusal) throw new Refused({ ...refusal, available: member.pointsAvailable });
            const stock = reward ? await tx.repos.rewards.takeStock(reward.id) : 'unlimited';
            if (stock === null) throw new Refused({ ok: false, refusal: 'out_of_stock', available: member.pointsAvailable });
            const lots = await account.spend({ points: current.points, reasonCode: 'redemption_retried', reasonParams: { points: current.points }, reference: current.actionKey });
            if (!(await tx.repos.redemptions.reopen(current.id, lots, stock === 'unit', tx.now))) throw notRetriable('its redemption left failed meanwhile');
            respent = current.points;
          }
          const n = await tx.repos.outbox.requeueFailed([action.action], [action.id], tx.now);
          if (n !== 1) throw notRetriable('it left failed meanwhile');
          await this.audit.record(tx, ctx, {
            action: 'outbox.retry',
            target: redemption ? `redemption:${redemption.id}` : `outbox:${action.id}`,
            before: { state: 'failed', action: action.action, lastError: action.lastError, attempts: action.attempts },
            after: { state: 'pending', outboxId: action.id, ...(respent !== null && { pointsSpentAgain: respent }) },
          });
          return { ok: true as const };
        },
        { actor: adminActor(ctx.admin) },
      );
    } catch (err) {
      if (err instanceof Refused) return err.result;
      throw err;
    }
  }

  /** Whether the admin pages offer "retry" for an action. */
  retriable(action: OutboxEntry): boolean {
    return action.state === 'failed' && Object.hasOwn(this.actions, action.action);
  }
}

async function lockMember(tx: Tx, memberId: number): Promise<MemberAccount> {
  const account = await MemberAccount.lock(tx, { id: memberId });
  if (!account) throw new NotFoundError('not_found', { message: `No member ${memberId}` });
  return account;
}

function notCancellable(why: string): ConflictError {
  return new ConflictError('redemption_not_cancellable', {
    message: `This redemption can't be cancelled: ${why}`,
    help: 'Only a pending redemption whose panel action has not been sent yet can be cancelled.',
  });
}

function notRetriable(why: string): ConflictError {
  return new ConflictError('action_not_retriable', {
    message: `This panel action can't be sent again: ${why}`,
    help: 'Only a failed panel action can be retried.',
  });
}
