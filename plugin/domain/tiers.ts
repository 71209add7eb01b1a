import { currencyDigits, type Money } from './money';
import { parseRate, RATE_PATTERN } from './points';
import { partialSettingsSchema, withDefaults, type Settings } from './settings';

/** Pure tier rules: which tier a spend earns, when to move a member, what a discount is. */
export interface Tier {
  id: number;
  name: string;
  rank: number;
  /** Rolling-12-month qualifying spend, base-currency minor units. */
  thresholdMinor: number;
  /** Exact decimal string multiplying the base earn ("1.25"). */
  earnMultiplier: string;
  /** Renewal discount in basis points (500 = 5%). */
  renewalDiscountBp: number;
  /** Perks shown to the client, per language. */
  perks: Record<string, string[]>;
  /** The name shown to members, per language; `name` is the key promos and panel groups use, and the fallback. */
  names: Record<string, string>;
}

/**
 * Program text in the member's language: the first of `languages` the provider wrote, then the
 * program's default language, then English, then whatever there is.
 */
export function localized<T>(byLanguage: Readonly<Record<string, T>>, languages: readonly string[]): T | undefined {
  for (const l of languages) if (byLanguage[l] !== undefined) return byLanguage[l];
  return byLanguage.en ?? Object.values(byLanguage)[0];
}

export interface TierSettings {
  baseCurrency: string;
  /** Base-currency units per 1.00 of another currency, set by the program (never guessed). */
  qualifyingRates: Record<string, string>;
  /** Days a member may stay below their tier's threshold before a review downgrades them. */
  graceDays: number;
}

/** The tier keys of the settings, others ignored; prefer `tierSettingsFrom(settings snapshot)`. */
export const tierSettingsSchema = partialSettingsSchema.pick({ tier_base_currency: true, tier_qualifying_rates: true, tier_grace_days: true });

/** Tier settings from the settings (a validated snapshot, or any subset: absent keys take their defaults). */
export function tierSettingsFrom(settings: Partial<Pick<Settings, 'tier_base_currency' | 'tier_qualifying_rates' | 'tier_grace_days'>>): TierSettings {
  const s = withDefaults(settings);
  return { baseCurrency: s.tier_base_currency, qualifyingRates: s.tier_qualifying_rates, graceDays: s.tier_grace_days };
}

/** The highest tier whose threshold the spend reaches (tiers need not be sorted). */
export function tierForSpend(tiers: readonly Tier[], spendMinor: number): Tier | null {
  let best: Tier | null = null;
  for (const t of tiers) if (t.thresholdMinor <= spendMinor && (!best || t.rank > best.rank)) best = t;
  return best;
}

export function nextTier(tiers: readonly Tier[], current: Tier | null): Tier | null {
  let next: Tier | null = null;
  for (const t of tiers) if ((!current || t.rank > current.rank) && (!next || t.rank < next.rank)) next = t;
  return next;
}

/** 'YYYY-MM' of a UTC instant. */
export function monthKey(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/** The first instant after `month` ('YYYY-MM') has left the rolling 12-month window. */
export function leavesWindowAt(month: string): Date {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y + 1, m - 1, 1));
}

/** The 12 calendar months (UTC) of the rolling window ending with the month of `now`. */
export function windowMonths(now: Date): string[] {
  return Array.from({ length: 12 }, (_, i) => monthKey(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1))));
}

/**
 * An amount in base-currency minor units, floor-rounded, using only rates the program set; a
 * currency without one doesn't count towards tiers (null), rather than being guessed.
 */
export function toQualifying(amount: Money, settings: TierSettings): number | null {
  const baseDigits = currencyDigits(settings.baseCurrency);
  const digits = currencyDigits(amount.currency);
  if (baseDigits === undefined || digits === undefined) return null;
  const rate = amount.currency === settings.baseCurrency ? '1' : settings.qualifyingRates[amount.currency];
  const parsed = rate === undefined ? null : parseRate(rate);
  if (!parsed) return null;
  const num = BigInt(amount.minor) * parsed.units * 10n ** BigInt(baseDigits);
  const den = 10n ** BigInt(parsed.places + digits);
  return Number(num / den);
}

export type TierDecision =
  | { action: 'none' }
  | { action: 'upgrade'; to: Tier }
  | { action: 'downgrade'; to: Tier | null }
  | { action: 'mark_below' }
  | { action: 'clear_below' };

/**
 * Upgrades happen at once; a member below their tier keeps it for the grace period and is
 * downgraded only by a review after it (to the tier their spend then reaches).
 */
export function decideTier(input: {
  tiers: readonly Tier[];
  currentTierId: number | null;
  spendMinor: number;
  belowSince: Date | null;
  now: Date;
  graceDays: number;
  review: boolean;
  /** A suspended service pauses the grace clock: no downgrade while it lasts. */
  paused?: boolean;
}): TierDecision {
  const current = input.tiers.find((t) => t.id === input.currentTierId) ?? null;
  const earned = tierForSpend(input.tiers, input.spendMinor);
  if (earned && (!current || earned.rank > current.rank)) return { action: 'upgrade', to: earned };
  if (!current || (earned && earned.rank === current.rank)) return input.belowSince ? { action: 'clear_below' } : { action: 'none' };
  // Spend is below the current tier.
  if (!input.belowSince) return { action: 'mark_below' };
  const graceOver = input.now.getTime() - input.belowSince.getTime() >= input.graceDays * 86_400_000;
  return input.review && graceOver && !input.paused ? { action: 'downgrade', to: earned } : { action: 'none' };
}

/**
 * A tier's renewal discount on the renewal lines, in minor units: floor-rounded, so it never
 * exceeds the exact percentage, and never more than the lines' total.
 */
export function renewalDiscount(renewalTotalMinor: number, discountBp: number): number {
  if (renewalTotalMinor <= 0 || discountBp <= 0) return 0;
  const d = Number((BigInt(renewalTotalMinor) * BigInt(Math.min(discountBp, 10_000))) / 10_000n);
  return Math.min(d, renewalTotalMinor);
}

/**
 * The part of an invoice's tier cashback (`full`, on the whole invoice) its refunds leave: the
 * share of the total not refunded, floor-rounded. The same whether a refund came before the
 * payment or after it.
 */
export function cashbackKept(full: number, totalMinor: number, refundedMinor: number): number {
  if (full <= 0 || totalMinor <= 0) return 0;
  const kept = totalMinor - Math.min(Math.max(0, refundedMinor), totalMinor);
  return Number((BigInt(full) * BigInt(kept)) / BigInt(totalMinor));
}

/** One move between tiers, kept as history. */
export interface TierChange {
  fromTierId: number | null;
  toTierId: number;
  reason: string;
  qualifyingMinor: number;
  createdAt: Date;
}

/**
 * The grace clock after a suspension ends: the time the member spent both below their tier and
 * suspended does not count, so `belowSince` moves forward by it.
 */
export function resumeGraceClock(belowSince: Date | null, suspendedSince: Date | null, resumedAt: Date): Date | null {
  if (!belowSince || !suspendedSince) return belowSince;
  const pausedFrom = Math.max(belowSince.getTime(), suspendedSince.getTime());
  const paused = resumedAt.getTime() - pausedFrom;
  return paused > 0 ? new Date(belowSince.getTime() + paused) : belowSince;
}

/**
 * When a member below their tier loses it without more spend, as the review judges it: the grace
 * period from `belowSince`, the time suspended left out as `resumeGraceClock` leaves it out when
 * the suspension ends. While one lasts the clock stands still, so this is where the grace ends if
 * the suspension ends at `at`; each further day suspended moves it a day on.
 */
export function graceEndsAt(input: { belowSince: Date | null; suspendedSince: Date | null; at: Date; graceDays: number }): Date | null {
  const counted = resumeGraceClock(input.belowSince, input.suspendedSince, input.at);
  return counted && new Date(counted.getTime() + input.graceDays * 86_400_000);
}

/**
 * When a review should next look at a member's spend without any event: the instant the oldest
 * month with spend in the window leaves it (the total can only drop then). Null when nothing
 * can drop them by time alone: no tier, the lowest tier, or already below (grace runs on
 * `belowSince`).
 */
export function tierRecheckAt(input: {
  tiers: readonly Tier[];
  tierId: number | null;
  belowSince: Date | null;
  spendByMonth: ReadonlyArray<{ month: string; amountMinor: number }>;
}): Date | null {
  const tier = input.tiers.find((t) => t.id === input.tierId);
  if (!tier || input.belowSince || tier.thresholdMinor <= 0) return null;
  const oldest = input.spendByMonth.filter((m) => m.amountMinor > 0).map((m) => m.month).sort()[0];
  return oldest ? leavesWindowAt(oldest) : null;
}
