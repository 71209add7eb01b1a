import type { Invoice, ItemType } from '../events/canonical-event';
import type { Money } from './money';
import { pointsForAmount, type EarnRates } from './points';

/** Lines that move money into the account rather than buy anything: they never earn. */
const FUNDING_ITEMS: ReadonlySet<ItemType> = new Set(['add_funds', 'mass_pay']);

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
