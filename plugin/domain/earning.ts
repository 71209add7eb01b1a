import type { Invoice, InvoiceItem, ItemType } from '../events/canonical-event';
import type { Money } from './money';
import { pointsForAmount, type EarnRates } from './points';

/** Lines that move money into the account rather than buy anything: they never earn. */
export const FUNDING_ITEMS: ReadonlySet<ItemType> = new Set(['add_funds', 'mass_pay']);

/**
 * The part of an invoice that earns: its purchase lines (or the total when the panel sends no
 * lines), less what was paid from account credit. Credit that was itself bought or earned has
 * already counted once; letting it earn again would pay twice for the same money.
 */
export function earningBasis(invoice: Invoice): Money {
  const purchases = invoice.items?.length
    ? invoice.items.filter((i) => !FUNDING_ITEMS.has(i.type)).reduce((sum, i) => sum + i.amount.minor, 0)
    : invoice.total.minor;
  return { currency: invoice.currency, minor: Math.max(0, purchases - invoice.paidFromCredit.minor) };
}

export type InvoiceEarn =
  | { kind: 'points'; points: number; rate: string; basis: Money }
  | { kind: 'no_rate'; currency: string; basis: Money };

export function earnForInvoice(invoice: Invoice, rates: EarnRates): InvoiceEarn {
  const basis = earningBasis(invoice);
  const result = pointsForAmount(basis, rates);
  return { ...result, basis };
}

/**
 * Splits `total` minor units over lines in proportion to `weights`, exactly: each line gets the
 * floor of its share, and the units left over go one each to the lines with the largest
 * remainders (ties to the earlier line). The shares always add up to `total`, and the same
 * invoice always splits the same way, so a refund can later recompute what a line earned.
 */
export function allocateProportionally(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((s, w) => s + BigInt(w), 0n);
  if (sum === 0n || total <= 0) return weights.map(() => 0);
  if (BigInt(total) > sum) throw new RangeError(`cannot allocate ${total} over weights summing to ${sum}`);
  const t = BigInt(total);
  const shares = weights.map((w) => (t * BigInt(w)) / sum);
  const remainders = weights.map((w, i) => ({ i, r: (t * BigInt(w)) % sum }));
  let left = t - shares.reduce((s, x) => s + x, 0n);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    shares[i] = (shares[i] as bigint) + 1n;
    left -= 1n;
  }
  return shares.map(Number);
}

export interface EarningLine {
  /** Position on the invoice, for stable ordering and for tests. */
  index: number;
  item: InvoiceItem;
  /** The part of the line paid from account credit. */
  creditShare: number;
  /** What is left to earn on: the amount less the credit share; 0 for funding lines. */
  net: number;
}

/**
 * The invoice as lines that can earn. An invoice without lines is one `other` line of its total
 * (what the panel told us is all there is). The credit-paid part is spread over the purchase
 * lines in proportion to their amounts (funding lines take none: they never earn anyway), so
 * the lines' nets always add up to `earningBasis(invoice)`.
 */
export function earningLines(invoice: Invoice): EarningLine[] {
  const items: InvoiceItem[] = invoice.items?.length ? invoice.items : [{ type: 'other', amount: invoice.total }];
  const weights = items.map((i) => (FUNDING_ITEMS.has(i.type) ? 0 : i.amount.minor));
  const purchases = weights.reduce((s, w) => s + w, 0);
  const shares = allocateProportionally(weights, Math.min(invoice.paidFromCredit.minor, purchases));
  return items.map((item, index) => {
    const creditShare = shares[index] ?? 0;
    return { index, item, creditShare, net: (weights[index] ?? 0) - creditShare };
  });
}
