import { parseDecimal, type Decimal } from './decimal';
import { parseMoney } from './money';
import { MAX_MULTIPLIER, parseRate, RATE_PATTERN } from './points';
import type { Tier } from './tiers';
import { problem, type FieldProblem } from './validation';

/**
 * The admin's edits of the tiers, posted as form strings: each field
 * judged, a problem named by the field. Pure, so the rules are tested without a database.
 */
export type Judged<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

export type TierEdit = Pick<Tier, 'thresholdMinor' | 'earnMultiplier' | 'renewalDiscountBp'>;

/** Whether an exact decimal is within [min, max]. */
function decimalBetween(d: Decimal, min: number, max: number): boolean {
  const scale = 10n ** BigInt(d.places);
  return d.units >= BigInt(min) * scale && d.units <= BigInt(max) * scale;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim() : undefined);

/**
 * A tier's threshold (an amount of the tier base currency), earn multiplier (a decimal) and
 * renewal discount (a percentage, up to 2 places). The threshold must stay between the tiers
 * ranked either side, so the ladder still climbs.
 */
export function judgeTierEdit(body: Readonly<Record<string, unknown>>, tier: Tier, all: readonly Tier[], baseCurrency: string): Judged<TierEdit> {
  const problems: FieldProblem[] = [];
  const threshold = parseMoney(str(body.threshold) ?? '', baseCurrency);
  if (!threshold.ok) problems.push(problem('threshold', threshold.message, 'amount', { currency: baseCurrency, example: '500.00' }));
  const multiplier = str(body.earn_multiplier) ?? '';
  const factor = RATE_PATTERN.test(multiplier) ? parseRate(multiplier) : null;
  if (!factor) problems.push(problem('earn_multiplier', 'must be a decimal such as "1" or "1.25"', 'decimal', { example: '1.25' }));
  // Below 1 a tier would earn less than the base rate (the rules refuse to compute it); above the
  // bound, a typo multiplies every invoice of the tier.
  else if (!decimalBetween(factor, 1, MAX_MULTIPLIER)) {
    problems.push(problem('earn_multiplier', `must be from 1 to ${MAX_MULTIPLIER}`, 'between', { min: 1, max: MAX_MULTIPLIER }));
  }
  const percent = parseDecimal(str(body.renewal_discount_percent) ?? '', { wholeDigits: 3, places: 2 });
  const bp = percent === null ? null : Number(percent.units * 10n ** BigInt(2 - percent.places));
  if (bp === null) problems.push(problem('renewal_discount_percent', 'must be a percentage such as "5" or "7.5"', 'percentage', { example: '7.5' }));
  else if (bp > 10_000) problems.push(problem('renewal_discount_percent', 'must be at most 100', 'at_most', { max: 100 }));
  if (threshold.ok) {
    const sorted = [...all].sort((a, b) => a.rank - b.rank);
    const at = sorted.findIndex((t) => t.id === tier.id);
    const below = sorted[at - 1];
    const above = sorted[at + 1];
    if (below && threshold.value.minor <= below.thresholdMinor) problems.push(problem('threshold', `must be more than the threshold of ${below.name}`, 'above_tier', { tier: below.name }));
    if (above && threshold.value.minor >= above.thresholdMinor) problems.push(problem('threshold', `must be less than the threshold of ${above.name}`, 'below_tier', { tier: above.name }));
  }
  if (problems.length > 0 || !threshold.ok || bp === null) return { ok: false, problems };
  return { ok: true, value: { thresholdMinor: threshold.value.minor, earnMultiplier: multiplier, renewalDiscountBp: bp } };
}
