import { decimalPattern, parseDecimal, type Decimal, type DecimalLimits } from './decimal';

/** Points per 1.00 of a currency, as an exact decimal string ("1", "0.5", "2.25"). */
export type EarnRates = Record<string, string>;

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
