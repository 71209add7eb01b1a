import { redemptionBlock } from './member';
import type { Money } from './money';
import { wallTime, zonedInstant } from './time-zone';

/**
 * The rewards catalog and the pure rules of redeeming: what a reward is worth in the member's
 * currency, and whether this member may redeem it now. The redemption service reads the inputs
 * under the member's row lock and applies the answer.
 */
/**
 * `credit`: account credit. `promo_code`: a single-use code created in the panel. `perk`: a
 * hosting perk the provider names (a free domain renewal, a month of a plan, an SSL
 * certificate…), delivered as a code when the reward has a `promo`, else as credit.
 */
export const REWARD_KINDS = ['credit', 'promo_code', 'perk'] as const;
export type RewardKind = (typeof REWARD_KINDS)[number];

/** What a promo code takes off: a percentage, or the reward's value in the member's currency. */
export interface PromoSpec {
  type: 'percent' | 'amount';
  /** For `percent`: 1–100. */
  percent?: number;
  /** Days the code stays valid after the redemption; null: no end. */
  validDays: number | null;
}

/**
 * What a code reward becomes on a panel that can't create promo codes (WHMCS has no API for
 * it), setting `promo_code_fallback`: account credit of the reward's value in the member's
 * currency, or refused before any point is spent.
 */
export const PROMO_CODE_FALLBACKS = ['credit', 'refuse'] as const;
export type PromoCodeFallback = (typeof PROMO_CODE_FALLBACKS)[number];

/** What the configured panel can deliver, as a redemption is decided. */
export interface DeliveryOptions {
  /** The panel adapter's `promoCode` capability. */
  promoCodes: boolean;
  promoCodeFallback: PromoCodeFallback;
}

/** A panel that can create codes: every reward is delivered as it is defined. */
const ANY_PANEL: DeliveryOptions = { promoCodes: true, promoCodeFallback: 'refuse' };

export type Delivery = 'credit' | 'promo';

/**
 * How a reward reaches the member: which panel action delivers it, or null when this panel
 * can't deliver it at all (a code on a panel without codes, and the program refuses those).
 */
export function deliveryOf(reward: Pick<Reward, 'kind' | 'promo'>, panel: DeliveryOptions = ANY_PANEL): Delivery | null {
  const natural: Delivery = reward.kind === 'promo_code' || (reward.kind === 'perk' && reward.promo) ? 'promo' : 'credit';
  if (natural === 'credit' || panel.promoCodes) return natural;
  return panel.promoCodeFallback === 'credit' ? 'credit' : null;
}

/** Whether the reward must be worth money in the member's currency (a percentage code is not, unless given as credit). */
function needsValue(reward: Pick<Reward, 'promo'>, delivery: Delivery): boolean {
  return !(delivery === 'promo' && reward.promo?.type === 'percent');
}

export interface Reward {
  id: number;
  kind: RewardKind;
  /** Name and description per language, with the program's default language as fallback. */
  names: Record<string, string>;
  descriptions: Record<string, string>;
  /**
   * A fixed reward costs `costPoints`. A flexible one ("redeem any amount") has no fixed cost:
   * the member picks a multiple of `stepPoints`, at least `minPoints`.
   */
  costPoints: number | null;
  stepPoints: number | null;
  minPoints: number | null;
  /**
   * What the reward gives per currency, in minor units: for a fixed reward, its value; for a
   * flexible one, the value of one step. A currency missing here can't redeem it (no FX guess).
   */
  values: Record<string, number>;
  /** The lowest tier rank that may redeem it; null for everyone. */
  minTierRank: number | null;
  /** Units left; null for unlimited. */
  stock: number | null;
  startsAt: Date | null;
  endsAt: Date | null;
  limitPerMonth: number | null;
  limitTotal: number | null;
  active: boolean;
  /** For a code (kind `promo_code`, or a perk delivered as one). */
  promo: PromoSpec | null;
}

/** Why a redemption is refused: one code each, shown to the member in their language. */
export const REDEMPTION_REFUSALS = [
  'reward_unavailable',
  'out_of_stock',
  'tier_too_low',
  'no_value_in_currency',
  'promo_code_unsupported',
  'invalid_points',
  'monthly_limit_reached',
  'total_limit_reached',
  'in_debt',
  'member_blocked',
  'not_enough_points',
  'terms_changed',
] as const;
export type RedemptionRefusal = (typeof REDEMPTION_REFUSALS)[number];

export interface RedemptionRequest {
  reward: Reward;
  /** For a flexible reward, the points the member chose; ignored for a fixed one. */
  points?: number;
  member: {
    pointsAvailable: number;
    currency: string | null;
    tierRank: number | null;
    status: string;
  };
  /** The member's redemptions of this reward that count against its limits (not failed or cancelled). */
  redeemedThisMonth: number;
  redeemedInTotal: number;
  at: Date;
  /** What the panel can deliver; absent, a panel that can create codes. */
  panel?: DeliveryOptions;
}

export type RedemptionDecision =
  | { ok: true; points: number; value: Money; delivery: Delivery }
  | { ok: false; refusal: RedemptionRefusal; needed?: number };

export function rewardInForce(reward: Reward, at: Date): boolean {
  if (!reward.active) return false;
  if (reward.startsAt && at < reward.startsAt) return false;
  return !(reward.endsAt && at >= reward.endsAt);
}

/**
 * Decides a redemption. Checks run in the order a member can act on: what the reward allows,
 * then the member's limits, then their balance, so "not enough points" is only said when
 * nothing else stands in the way.
 */
export function decideRedemption(r: RedemptionRequest): RedemptionDecision {
  const { reward, member } = r;
  if (!rewardInForce(reward, r.at)) return { ok: false, refusal: 'reward_unavailable' };
  const delivery = deliveryOf(reward, r.panel);
  if (delivery === null) return { ok: false, refusal: 'promo_code_unsupported' };
  if (reward.stock !== null && reward.stock <= 0) return { ok: false, refusal: 'out_of_stock' };
  if (reward.minTierRank !== null && (member.tierRank ?? 0) < reward.minTierRank) return { ok: false, refusal: 'tier_too_low' };
  const currency = member.currency;
  const unit = currency === null ? undefined : reward.values[currency];
  if (currency === null || (needsValue(reward, delivery) && (unit === undefined || unit <= 0))) {
    // A percentage code turned into credit: what stands in the way is the panel, not the currency.
    const becauseOfPanel = currency !== null && deliveryOf(reward) === 'promo' && !needsValue(reward, 'promo');
    return { ok: false, refusal: becauseOfPanel ? 'promo_code_unsupported' : 'no_value_in_currency' };
  }
  const priced = price(reward, r.points);
  if (!priced) return { ok: false, refusal: 'invalid_points' };
  if (reward.limitPerMonth !== null && r.redeemedThisMonth >= reward.limitPerMonth) return { ok: false, refusal: 'monthly_limit_reached' };
  if (reward.limitTotal !== null && r.redeemedInTotal >= reward.limitTotal) return { ok: false, refusal: 'total_limit_reached' };
  const block = redemptionBlock(member);
  if (block === 'in_debt') return { ok: false, refusal: 'in_debt' };
  if (block !== null) return { ok: false, refusal: 'member_blocked' };
  if (member.pointsAvailable < priced.points) return { ok: false, refusal: 'not_enough_points', needed: priced.points - member.pointsAvailable };
  // A percentage code has no money value; it is recorded as 0 in the member's currency.
  return { ok: true, points: priced.points, value: { currency, minor: (unit ?? 0) * priced.units }, delivery };
}

/** Points and value units of a redemption: one unit for a fixed reward, one per step for a flexible one. */
function price(reward: Reward, chosen: number | undefined): { points: number; units: number } | null {
  if (reward.costPoints !== null) return { points: reward.costPoints, units: 1 };
  const step = reward.stepPoints;
  if (step === null || step <= 0 || chosen === undefined || !Number.isSafeInteger(chosen)) return null;
  if (chosen <= 0 || chosen % step !== 0 || chosen < (reward.minPoints ?? step)) return null;
  return { points: chosen, units: chosen / step };
}

/** The calendar month [from, to) holding `at` in the program's time zone, for the per-month limit. */
export function monthBounds(at: Date, timeZone: string): { from: Date; to: Date } {
  const { year, month } = wallTime(at, timeZone);
  return { from: zonedInstant({ year, month, day: 1 }, timeZone), to: zonedInstant({ year, month: month + 1, day: 1 }, timeZone) };
}

/**
 * What the confirmation page showed the member and they agreed to: the price, the value in
 * their currency and how it is delivered. The form carries it back, and a confirmation whose
 * terms no longer hold (the owner changed the reward meanwhile) is refused with the new ones shown.
 */
export function termsOf(reward: Reward, currency: string | null, delivery: Delivery | null): string {
  const value = currency === null ? '' : `${currency}:${reward.values[currency] ?? ''}`;
  const promo = delivery === 'promo' && reward.promo ? `${reward.promo.type}:${reward.promo.percent ?? ''}:${reward.promo.validDays ?? ''}` : '';
  return [reward.costPoints ?? '', reward.stepPoints ?? '', reward.minPoints ?? '', value, delivery ?? '', promo].join('/');
}

/**
 * Whether an admin may send a failed redemption again. It becomes live once more, so it must
 * still fit the reward's stock and the member's limits (a failed one counts against neither),
 * and the member must still be allowed to redeem and hold its points. Its price, window and
 * tier are not asked again: the member chose it on those terms.
 */
export function decideRetry(
  r: Omit<RedemptionRequest, 'reward' | 'points' | 'at' | 'panel'> & { reward: Reward | null; points: number },
): Extract<RedemptionDecision, { ok: false }> | null {
  const { reward, member } = r;
  if (reward) {
    if (reward.stock !== null && reward.stock <= 0) return { ok: false, refusal: 'out_of_stock' };
    if (reward.limitPerMonth !== null && r.redeemedThisMonth >= reward.limitPerMonth) return { ok: false, refusal: 'monthly_limit_reached' };
    if (reward.limitTotal !== null && r.redeemedInTotal >= reward.limitTotal) return { ok: false, refusal: 'total_limit_reached' };
  }
  const block = redemptionBlock(member);
  if (block !== null) return { ok: false, refusal: block === 'in_debt' ? 'in_debt' : 'member_blocked' };
  if (member.pointsAvailable < r.points) return { ok: false, refusal: 'not_enough_points', needed: r.points - member.pointsAvailable };
  return null;
}
