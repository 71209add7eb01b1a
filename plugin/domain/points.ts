import { decimalPattern, parseDecimal, type Decimal, type DecimalLimits } from './decimal';
import type { FieldProblem } from './validation';

/** Points per 1.00 of a currency, as an exact decimal string ("1", "0.5", "2.25"). */
export type EarnRates = Record<string, string>;

/**
 * The most points one event may award, and the most a member may hold (available and pending)
 * or have earned in all (lifetime): 10^12. Far beyond any real program (a point per Vietnamese
 * dong on a lifetime of invoices stays under it), and far enough below 2^53, the largest integer
 * JavaScript holds exactly, that balances, ledger sums and totals over thousands of members at
 * the bound still read back exact. An event that would pass it is refused (422, naming the field
 * its points come from) and writes nothing.
 */
export const MAX_POINTS = 1_000_000_000_000;

/**
 * An earn rate is at most this many points per 1.00 (settings `earn_rates`): a hundred times the
 * most generous program, for currencies whose 1.00 is worth several dollars. A typo of a rate
 * (999999) would otherwise pass unseen until it refused or inflated every invoice.
 */
export const MAX_EARN_RATE = 10_000;

/** The highest multiplier: of a product or promo rule, and of a tier's earn (a typo of ×2000 must not pass). */
export const MAX_MULTIPLIER = 100;

/** Whether an earn rate is a rate (`RATE_PATTERN`) of at most `MAX_EARN_RATE` points per 1.00. */
export function isEarnRate(rate: string): boolean {
  const d = parseRate(rate);
  return d !== null && d.units <= BigInt(MAX_EARN_RATE) * 10n ** BigInt(d.places);
}

/** Why an event's `points` (more than `MAX_POINTS`) are refused, in words for the refusal. */
export function tooManyPointsProblem(points: bigint): string {
  return `would award ${points} points; an event may award at most ${MAX_POINTS}`;
}

/**
 * Why crediting `points` to a member who holds `held` points (available and pending) and has
 * earned `lifetime` would pass `MAX_POINTS`, in words for the refusal; null when it would not.
 */
export function pointsLimitProblem(member: { held: number; lifetime: number }, points: number | bigint): string | null {
  const add = BigInt(points);
  const max = BigInt(MAX_POINTS);
  if (add > max) return tooManyPointsProblem(add);
  if (BigInt(member.held) + add > max) return `would bring the member's balance to ${BigInt(member.held) + add} points; a member may hold at most ${MAX_POINTS}`;
  if (BigInt(member.lifetime) + add > max) return `would bring the member's lifetime points to ${BigInt(member.lifetime) + add}; at most ${MAX_POINTS} can be earned`;
  return null;
}

/** The refusal of an event whose points would pass `MAX_POINTS`, on the field they come from. */
export function pointsLimitRefusal(path: string, problem: string): FieldProblem {
  return { path, message: problem, reason: { code: 'points_limit', params: { max: MAX_POINTS } } };
}

/** An earn (or qualifying) rate: up to 999999.9999. */
export const RATE_LIMITS: DecimalLimits = { wholeDigits: 6, places: 4 };
export const RATE_PATTERN = decimalPattern(RATE_LIMITS);

/** A rate read exactly, or null when it is not a rate (a malformed rate never earns a guess). */
export function parseRate(rate: string): Decimal | null {
  return parseDecimal(rate, RATE_LIMITS);
}

/**
 * A rate as people read it: whole points per a round amount. "1 point per 100.00" rather than
 * "0.01 points per 1.00", "3 points per 100.00" rather than "0.03 points per 1.00" (the
 * fraction reduced: 0.15 is 3 points per 20.00). Rates of one or more stay as they are ("2.5
 * points per 1.00"). Returns the points and how many minor units earn them.
 */
export function rateForDisplay(rate: string, digits: number): { points: string; perMinor: number } {
  const parsed = parseRate(rate);
  const unit = 10 ** digits;
  if (!parsed) return { points: rate, perMinor: unit };
  const scale = 10n ** BigInt(parsed.places);
  if (parsed.units > 0n && parsed.units < scale) {
    const g = gcd(parsed.units, scale);
    return { points: String(parsed.units / g), perMinor: Number(scale / g) * unit };
  }
  return { points: rate, perMinor: unit };
}

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}
