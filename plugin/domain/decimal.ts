/**
 * Exact non-negative decimal strings ("120.50", "1.25", "0.0001"), the one way money, earn
 * rates and multipliers are read. Digits go straight into bigints, never through a float:
 * 0.29 × 100 must be 29, which a float product (28.999…) would floor to 28.
 *
 * The accepted form is strict on purpose, so that one value has one spelling: no sign, no
 * exponent, no leading zeros ("01"), no bare point ("1.", ".5").
 */

/** How long a decimal may be: digits before the point, and places after it. Unset: unbounded. */
export interface DecimalLimits {
  wholeDigits?: number;
  places?: number;
}

/** A decimal as an integer and a scale: "2.25" is { units: 225n, places: 2 }. */
export interface Decimal {
  units: bigint;
  places: number;
}

/** The regular expression of decimals within `limits`, e.g. for a zod `.regex()`. */
export function decimalPattern(limits: DecimalLimits = {}): RegExp {
  const more = limits.wholeDigits === undefined ? '*' : `{0,${limits.wholeDigits - 1}}`;
  const places = limits.places === undefined ? '+' : `{1,${limits.places}}`;
  return new RegExp(`^(0|[1-9]\\d${more})(?:\\.(\\d${places}))?$`);
}

// Rules parse the same few shapes on every invoice: build each expression once.
const patterns = new Map<string, RegExp>();
function patternFor(limits: DecimalLimits): RegExp {
  const key = `${limits.wholeDigits ?? ''}.${limits.places ?? ''}`;
  let pattern = patterns.get(key);
  if (!pattern) patterns.set(key, (pattern = decimalPattern(limits)));
  return pattern;
}

/** Parses a decimal within `limits`; null when it is not one (or is longer than they allow). */
export function parseDecimal(text: string, limits: DecimalLimits = {}): Decimal | null {
  const m = patternFor(limits).exec(text);
  if (!m) return null;
  const fraction = m[2] ?? '';
  return { units: BigInt((m[1] as string) + fraction), places: fraction.length };
}

/**
 * The decimal as a count of 10^-`places`: ({ units: 15n, places: 1 }, 4) is 15000n. Exact only
 * when the decimal has no more places than asked for, so that case is refused, not rounded.
 */
export function scaleTo(d: Decimal, places: number): bigint {
  if (d.places > places) throw new RangeError(`a decimal with ${d.places} places can't be written with ${places}`);
  return d.units * 10n ** BigInt(places - d.places);
}
