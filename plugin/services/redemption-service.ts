import { randomInt } from 'node:crypto';
import type { Member } from '../domain/member';
import { decideRedemption, deliveryOf, monthBounds, rewardInForce, termsOf, type Delivery, type DeliveryOptions, type PromoSpec, type RedemptionDecision, type RedemptionRefusal, type Reward } from '../domain/rewards';
import type { Money } from '../domain/money';
import type { CodeTerms, Redemption } from '../domain/redemption';
import { localized } from '../domain/tiers';
import type { Database } from '../db/database';
import type { Tx } from '../db/unit-of-work';
import { ConflictError, ValidationError } from '../errors';
import type { Translations } from '../i18n';
import { formatInteger } from '../i18n/format';
import { MemberAccount } from './member-account';
import { tierOf, type ProgramSnapshot } from './use-case-context';

/** The one-time key a confirmation form carries: random, URL-safe, long enough not to collide. */
export const REDEMPTION_KEY_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export interface RedeemInput {
  rewardId: number;
  /**
   * For a flexible reward: the points the member chose, as given (NaN: not a number). Anything
   * but a whole multiple of its step, at least its minimum, is refused as `invalid_points`.
   */
  points?: number;
  idempotencyKey: string;
  /** The terms the confirmation page showed (`termsOf`); absent, not checked. */
  terms?: string;
}

export type RedeemResult =
  | { ok: true; redemption: Redemption; repeated: boolean }
  | { ok: false; refusal: RedemptionRefusal; needed?: number };

/** A refusal rolls the unit of work back, so the releases and expiries read on the way are not written either. */
class Refused extends Error {
  constructor(readonly result: Extract<RedeemResult, { ok: false }>) {
    super(result.refusal);
  }
}

/** The member's latest redemptions the catalog lists with their state. */
const RECENT_SHOWN = 10;

const actionKeyOf = (idempotencyKey: string) => `redemption:${idempotencyKey}`;

/** One reward as a member sees it in the catalog: what it costs them, and whether they can have it now. */
export interface Offer {
  reward: Reward;
  /** For a flexible reward, decided at its smallest amount. */
  decision: RedemptionDecision;
  /** How it would reach the member on this panel (a code may become credit); null: it can't. */
  delivery: Delivery | null;
}

/** Redemptions on a page of a member's list of them all. */
export const REDEMPTIONS_PAGE_SIZE = 20;

/** A page of a member's redemptions (`RedemptionService.history`). */
export interface RedemptionHistory {
  /** Null for a client not enrolled yet: no redemptions. */
  member: Member | null;
  redemptions: Array<{ redemption: Redemption; reward: Reward | null }>;
  /** The cursor this page was read from (redemptions older than it); null for the newest page. */
  before: number | null;
  /** The cursor of the next older page; null when there is none. */
  olderCursor: number | null;
  /** The program's time zone, the clock a code's expiry is told on. */
  timeZone: string;
}

/** What the configured panel can deliver, fixed when the plugin starts. */
export interface RedemptionPanel {
  /** The panel adapter's `promoCode` capability (WHMCS: false). */
  promoCodes: boolean;
}

/**
 * Turns points into what a reward gives, exactly once. Everything happens under the member's
 * row lock in one unit of work: the checks, the spend (FIFO from lots), the redemption row and
 * the panel action in the outbox. The dispatcher then applies it in the panel; `applied` and
 * `failed` settle the row in the dispatcher's unit of work, and a failure gives the points
 * back as they were (lots keep their expiry).
 */
export class RedemptionService {
  constructor(
    private readonly db: Database,
    private readonly snapshot: () => Promise<ProgramSnapshot>,
    private readonly translations: Translations,
    private readonly panel: RedemptionPanel = { promoCodes: true },
  ) {}

  private deliveryOptions(snapshot: ProgramSnapshot): DeliveryOptions {
    return { promoCodes: this.panel.promoCodes, promoCodeFallback: snapshot.promoCodeFallback };
  }

  async redeem(clientId: string, input: RedeemInput): Promise<RedeemResult> {
    checkInput(input);
    const snapshot = await this.snapshot();
    try {
      return await this.db.transaction((tx) => this.redeemIn(tx, clientId, input, snapshot), { actor: { kind: 'client', clientId } });
    } catch (err) {
      if (err instanceof Refused) return err.result;
      throw err;
    }
  }

  /**
   * The rewards in force, each decided for this member as things stand. A read: no lock, and a
   * redemption decides again under the lock.
   */
  async catalog(clientId: string): Promise<{ member: Member | null; offers: Offer[]; recent: Array<{ redemption: Redemption; reward: Reward | null }>; timeZone: string }> {
    const [snapshot, member, rewards] = await Promise.all([this.snapshot(), this.db.repos.members.findByPanelClientId(clientId), this.db.repos.rewards.list()]);
    const now = this.db.now();
    const month = monthBounds(now, snapshot.program.timeZone);
    const offers: Offer[] = [];
    const panel = this.deliveryOptions(snapshot);
    for (const reward of rewards.filter((r) => rewardInForce(r, now))) {
      const decision = decideRedemption({
        reward,
        points: reward.costPoints === null ? (reward.minPoints ?? reward.stepPoints ?? undefined) : undefined,
        member: {
          pointsAvailable: member?.pointsAvailable ?? 0,
          currency: member?.currency ?? null,
          tierRank: member ? (tierOf(snapshot, member.tierId)?.rank ?? null) : null,
          status: member?.status ?? 'active',
        },
        ...(member ? await this.db.repos.redemptions.limitCounts(member.id, reward, month) : { redeemedThisMonth: 0, redeemedInTotal: 0 }),
        at: now,
        panel,
      });
      offers.push({ reward, decision, delivery: deliveryOf(reward, panel) });
    }
    const byId = new Map(rewards.map((r) => [r.id, r]));
    const recent = member ? await this.db.repos.redemptions.listForMember(member.id, RECENT_SHOWN) : [];
    return { member, offers, recent: recent.map((redemption) => ({ redemption, reward: byId.get(redemption.rewardId) ?? null })), timeZone: snapshot.program.timeZone };
  }

  /**
   * A client's own redemption, with its reward and the program's time zone (its page tells a
   * code's expiry on that clock); another client's id is null, as if it did not exist.
   */
  async find(clientId: string, id: number): Promise<(Redemption & { member: Member; reward: Reward | null; timeZone: string }) | null> {
    const member = await this.db.repos.members.findByPanelClientId(clientId);
    const redemption = member && Number.isSafeInteger(id) ? await this.db.repos.redemptions.findForMember(member.id, id) : null;
    if (!member || !redemption) return null;
    const [reward, snapshot] = await Promise.all([this.db.repos.rewards.find(redemption.rewardId), this.snapshot()]);
    return { ...redemption, member, reward, timeZone: snapshot.program.timeZone };
  }

  /**
   * A page of all a client's own redemptions, newest first, below the redemption id `before`
   * (whoever's it is: only their rows are read). A read: no lock. Each comes with its reward
   * where its names were not kept (older rows), as the catalog names them.
   */
  async history(clientId: string, options: { before?: number; limit?: number } = {}): Promise<RedemptionHistory> {
    const limit = options.limit ?? REDEMPTIONS_PAGE_SIZE;
    const [snapshot, member] = await Promise.all([this.snapshot(), this.db.repos.members.findByPanelClientId(clientId)]);
    const page = member ? await this.db.repos.redemptions.pageForMember(member.id, { beforeId: options.before, limit }) : { redemptions: [], hasOlder: false };
    const rewards = page.redemptions.some((r) => r.rewardNames === null) ? await this.db.repos.rewards.list() : [];
    const byId = new Map(rewards.map((r) => [r.id, r]));
    const last = page.redemptions[page.redemptions.length - 1];
    return {
      member,
      redemptions: page.redemptions.map((redemption) => ({ redemption, reward: byId.get(redemption.rewardId) ?? null })),
      before: options.before ?? null,
      olderCursor: page.hasOlder && last ? last.id : null,
      timeZone: snapshot.program.timeZone,
    };
  }

  /** The dispatcher's `onSent`: the panel applied a redemption's action. */
  async applied(tx: Tx, sent: { idempotencyKey: string; reference: string | null }): Promise<void> {
    const redemption = await tx.repos.redemptions.findByActionKey(sent.idempotencyKey);
    if (redemption) await tx.repos.redemptions.settle(redemption.id, 'applied', sent.reference, tx.now);
  }

  /**
   * The `reverse_points` compensation: the panel refused a redemption's action for good. The
   * points, and the unit of stock if it took one, go back once: the row leaves `pending` once,
   * under the member's lock, whether this or an admin's cancel gets there first. Actions that
   * spent no points, such as tier cashback, have no redemption and nothing to undo.
   */
  async failed(tx: Tx, failed: { idempotencyKey: string }): Promise<void> {
    const found = await tx.repos.redemptions.findByActionKey(failed.idempotencyKey);
    if (!found) return;
    const account = await MemberAccount.lock(tx, { id: found.memberId });
    // Read again under the lock: what it spent and took is what a retry may have changed meanwhile.
    const redemption = account && (await tx.repos.redemptions.findById(found.id));
    if (!account || !redemption || !(await tx.repos.redemptions.settle(redemption.id, 'failed', null, tx.now))) return;
    await account.restore({
      lots: redemption.spentLots,
      reasonCode: 'redemption_failed',
      reasonParams: { points: redemption.points },
      reference: actionKeyOf(redemption.idempotencyKey),
    });
    if (redemption.tookStock) await tx.repos.rewards.returnStock(redemption.rewardId);
  }

  private async redeemIn(tx: Tx, clientId: string, input: RedeemInput, snapshot: ProgramSnapshot): Promise<RedeemResult> {
    const account = await MemberAccount.lock(tx, { panelClientId: clientId });
    if (!account) {
      // Not enrolled yet: refused for the reason the catalog gives them (no currency, not enough points).
      const reward = await tx.repos.rewards.find(input.rewardId);
      if (!reward) throw new Refused({ ok: false, refusal: 'reward_unavailable' });
      const none = { pointsAvailable: 0, currency: null, tierRank: null, status: 'active' };
      const decision = decideRedemption({ reward, points: input.points, member: none, redeemedThisMonth: 0, redeemedInTotal: 0, at: tx.now, panel: this.deliveryOptions(snapshot) });
      throw new Refused(decision.ok ? { ok: false, refusal: 'not_enough_points', needed: decision.points } : decision);
    }
    // Under the lock, so a double-submit waits for the first and then finds it.
    const earlier = await tx.repos.redemptions.findByKey(input.idempotencyKey);
    if (earlier) {
      if (earlier.memberId !== account.member.id) throw keyConflict();
      return { ok: true, redemption: earlier, repeated: true };
    }
    // Spend only what is really spendable now: released, and not past its expiry.
    await account.releaseDue();
    await account.expire(tx.now);
    const reward = await tx.repos.rewards.find(input.rewardId);
    if (!reward) throw new Refused({ ok: false, refusal: 'reward_unavailable' });
    const member = account.member;
    const decision = decideRedemption({
      reward,
      points: input.points,
      member: { pointsAvailable: member.pointsAvailable, currency: member.currency, tierRank: tierOf(snapshot, member.tierId)?.rank ?? null, status: member.status },
      ...(await tx.repos.redemptions.limitCounts(member.id, reward, monthBounds(tx.now, snapshot.program.timeZone))),
      at: tx.now,
      // A code the panel can't create is given as credit or refused here, before any point is spent.
      panel: this.deliveryOptions(snapshot),
    });
    if (!decision.ok) throw new Refused(decision);
    if (input.terms !== undefined && input.terms !== termsOf(reward, member.currency, decision.delivery)) throw new Refused({ ok: false, refusal: 'terms_changed' });
    const stock = await tx.repos.rewards.takeStock(reward.id);
    if (stock === null) throw new Refused({ ok: false, refusal: 'out_of_stock' });

    const actionKey = actionKeyOf(input.idempotencyKey);
    const name = this.nameOf(reward, member.locale);
    const spentLots = await account.spend({ points: decision.points, reasonCode: 'redeemed', reasonParams: { reward: name }, reference: actionKey });
    const delivery = decision.delivery;
    // Made here and kept on the row and in the action, so a retried action creates the same code;
    // its terms likewise, so the member's page says what the panel was asked to create.
    const code = delivery === 'promo' ? promoCode() : null;
    const codeTerms = code !== null && reward.promo ? codeTermsOf(reward.promo, decision.value, tx.now) : null;
    const id = await tx.repos.redemptions.insert({
      memberId: member.id,
      rewardId: reward.id,
      rewardNames: reward.names,
      points: decision.points,
      value: decision.value,
      idempotencyKey: input.idempotencyKey,
      actionKey,
      spentLots,
      tookStock: stock === 'unit',
      code,
      codeTerms,
      createdAt: tx.now,
    });
    // Another member holding the same key raced us past the look-up above.
    if (id === null) throw keyConflict();
    const description = this.describe(name, decision.points, member.locale);
    if (code !== null && codeTerms !== null) {
      const expiresAt = codeTerms.expiresAt?.toISOString() ?? null;
      await tx.repos.outbox.enqueue('promo.create', { clientId: member.panelClientId, code, discount: codeTerms.discount, expiresAt, description }, actionKey, tx.now);
    } else {
      await tx.repos.outbox.enqueue('client.credit', { clientId: member.panelClientId, amount: decision.value, description }, actionKey, tx.now);
    }
    const redemption = await tx.repos.redemptions.findForMember(member.id, id);
    if (!redemption) throw new Error(`Redemption ${id} vanished inside its own transaction`);
    return { ok: true, redemption, repeated: false };
  }

  private nameOf(reward: Reward, locale: string | null): string {
    return localized(reward.names, [this.translations.for(locale).language]) ?? `#${reward.id}`;
  }

  /** The credit's line in the panel, in the member's language. */
  private describe(reward: string, points: number, locale: string | null): string {
    const i18n = this.translations.for(locale);
    return i18n.t('redemption.credit_line', { reward, points: i18n.t('points_count', { count: points, formatted: formatInteger(i18n.locale, points) }) });
  }
}

/** A code's discount (the percentage, or the redemption's value) and its end, `validDays` after `at`. */
function codeTermsOf(promo: PromoSpec, value: Money, at: Date): CodeTerms {
  return {
    discount: promo.type === 'percent' ? { type: 'percent', percent: promo.percent ?? 0 } : { type: 'amount', amount: value },
    expiresAt: promo.validDays === null ? null : new Date(at.getTime() + promo.validDays * 86_400_000),
  };
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A code a person can type: no 0/O or 1/I, 50 bits of chance. */
function promoCode(): string {
  let code = 'RW-';
  for (let i = 0; i < 10; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** What no redemption can be asked with; the points are the member's choice, which the reward judges (`invalid_points`). */
function checkInput(input: RedeemInput): void {
  const fields = [];
  if (!Number.isSafeInteger(input.rewardId) || input.rewardId <= 0) fields.push({ path: 'reward', message: 'must be a reward id' });
  if (!REDEMPTION_KEY_PATTERN.test(input.idempotencyKey)) fields.push({ path: 'key', message: 'must be the one-time key of the confirmation form' });
  if (fields.length > 0) throw new ValidationError(fields, 'Open the reward again and confirm from its page.');
}

function keyConflict(): ConflictError {
  return new ConflictError('redemption_key_conflict', {
    message: 'This confirmation key belongs to another redemption',
    help: 'Open the reward again: each confirmation page carries a fresh key.',
    fields: [{ path: 'key', message: 'was used for another redemption' }],
  });
}
