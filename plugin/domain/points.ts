import { currencyDigits, type Money } from './money';

/** Points per 1.00 of a currency, as an exact decimal string ("1", "0.5", "2.25"). */
export type EarnRates = Record<string, string>;

export const RATE_PATTERN = /^(0|[1-9]\d{0,5})(?:\.(\d{1,4}))?$/;

export type EarnResult =
  | { kind: 'points'; points: number; rate: string }
  | { kind: 'no_rate'; currency: string };

/**
 * floor(amount × rate) with exact integer arithmetic: 0.29 × 100 must be 29 points, which a
 * float product (28.999…) would round down to 28.
 */
export function pointsForAmount(amount: Money, rates: EarnRates): EarnResult {
  const rate = rates[amount.currency];
  const digits = currencyDigits(amount.currency);
  const m = rate === undefined ? null : RATE_PATTERN.exec(rate);
  if (!m || digits === undefined || rate === undefined) return { kind: 'no_rate', currency: amount.currency };
  const fraction = m[2] ?? '';
  const rateScaled = BigInt((m[1] as string) + fraction);
  const divisor = 10n ** BigInt(digits + fraction.length);
  const points = (BigInt(amount.minor) * rateScaled) / divisor;
  return { kind: 'points', points: Number(points), rate };
}

/**
 * A rate as people read it: "1 point per 100.00" rather than "0.01 points per 1.00" when a
 * rate below one divides evenly. Returns the points and how many minor units earn them.
 */
export function rateForDisplay(rate: string, digits: number): { points: string; perMinor: number } {
  const m = RATE_PATTERN.exec(rate);
  const unit = 10 ** digits;
  if (!m) return { points: rate, perMinor: unit };
  const fraction = m[2] ?? '';
  const scaled = BigInt((m[1] as string) + fraction);
  const scale = 10n ** BigInt(fraction.length);
  if (scaled > 0n && scaled < scale && scale % scaled === 0n) {
    return { points: '1', perMinor: Number(scale / scaled) * unit };
  }
  return { points: rate, perMinor: unit };
}
