import type { Invoice, InvoiceItem, ItemType } from './billing-event';
import type { Money } from './money';

/** Lines that move money into the account rather than buy anything: they never earn. */
export const FUNDING_ITEMS: ReadonlySet<ItemType> = new Set(['add_funds', 'mass_pay']);

/**
 * What comes off the purchase lines before they earn: the part paid from account credit
 * (credit that was bought or earned has counted once already) and any amount by which the
 * lines exceed the invoice total — a discount the panel applied without listing it, such as
 * our own tier discount line. The total is what the client was charged, so it is the ceiling.
 */
function deduction(invoice: Invoice, lines: readonly InvoiceItem[]): number {
  const listed = lines.reduce((sum, i) => sum + i.amount.minor, 0);
  // Lines are net of tax; when the panel tells us the tax, the net charge is the ceiling.
  const charged = invoice.total.minor - (invoice.tax?.minor ?? 0);
  return invoice.paidFromCredit.minor + Math.max(0, listed - charged);
}

function linesOf(invoice: Invoice): InvoiceItem[] {
  return invoice.items?.length ? invoice.items : [{ type: 'other', amount: invoice.total }];
}

/** The part of an invoice that earns: its purchase lines less the deduction above. */
export function earningBasis(invoice: Invoice): Money {
  const lines = linesOf(invoice);
  const purchases = lines.filter((i) => !FUNDING_ITEMS.has(i.type)).reduce((sum, i) => sum + i.amount.minor, 0);
  return { currency: invoice.currency, minor: Math.max(0, purchases - deduction(invoice, lines)) };
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
  /** The line's share of what was paid from credit or discounted without a line. */
  creditShare: number;
  /** What is left to earn on: the amount less that share; 0 for funding lines. */
  net: number;
}

/**
 * The invoice as lines that can earn. An invoice without lines is one `other` line of its total
 * (what the panel told us is all there is). The deduction (credit, unlisted discount) is spread
 * over the purchase lines in proportion to their amounts (funding lines take none: they never
 * earn anyway), so the lines' nets always add up to `earningBasis(invoice)`.
 */
export function earningLines(invoice: Invoice): EarningLine[] {
  const items = linesOf(invoice);
  const weights = items.map((i) => (FUNDING_ITEMS.has(i.type) ? 0 : i.amount.minor));
  const purchases = weights.reduce((s, w) => s + w, 0);
  const shares = allocateProportionally(weights, Math.min(deduction(invoice, items), purchases));
  return items.map((item, index) => {
    const creditShare = shares[index] ?? 0;
    return { index, item, creditShare, net: (weights[index] ?? 0) - creditShare };
  });
}
