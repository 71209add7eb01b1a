/** What the plugin keeps per panel invoice: what it earned, and what refunds took back. */
export interface InvoiceRecord {
  id: number;
  memberId: number;
  invoiceId: string;
  /**
   * The number the customer sees on it (`invoice.number`), as the latest event that sent one
   * gave it; null while none did. Entries about the invoice are named by it when their event
   * sends no number.
   */
  number: string | null;
  currency: string;
  totalMinor: number;
  earnedPoints: number;
  reversedPoints: number;
  refundedMinor: number;
  chargedBack: boolean;
  paidAt: Date | null;
  /** What the invoice added to qualifying spend (base currency), and what refunds took back. */
  qualifyingMinor: number;
  qualifyingRemovedMinor: number;
  /** Times a payment of this invoice was reversed (`invoice.reversed`). */
  reversals: number;
  /** A reversal that arrived before the payment it reverses: that payment (paid no later) earns nothing. */
  reversalPendingAt: Date | null;
  /**
   * The tier cashback the invoice's payment earned before any refund (`cashback` discount
   * method; 0 under the others), in the invoice's minor units: what a refund after the payment
   * scales. Null when none was recorded: a payment from before it was kept, or an imported one.
   */
  cashbackMinor: number | null;
  /**
   * The last ledger entry of the payments `invoice.reversed` undid: the invoice's earn and bonus
   * entries up to this id no longer stand (a re-payment's come after). Null while none was.
   */
  reversedThroughLedgerId: number | null;
}

export type InvoiceChanges = Partial<Omit<InvoiceRecord, 'id' | 'memberId' | 'invoiceId'>>;

/**
 * Whether the panel took a payment for the invoice: it is paid, or a refund, chargeback or
 * reversal of a payment is on record (one that overtook its payment too: the panel only refunds,
 * charges back or reverses what was paid). Such an invoice can no longer take a discount line.
 */
export function paymentOnRecord(row: Pick<InvoiceRecord, 'paidAt' | 'refundedMinor' | 'chargedBack' | 'reversals' | 'reversalPendingAt'>): boolean {
  return row.paidAt !== null || row.refundedMinor > 0 || row.chargedBack || row.reversals > 0 || row.reversalPendingAt !== null;
}
