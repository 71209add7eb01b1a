import { paymentOnRecord, type InvoiceRecord } from '../../plugin/domain/invoice-record';

const unpaid: Pick<InvoiceRecord, 'paidAt' | 'refundedMinor' | 'chargedBack' | 'reversals' | 'reversalPendingAt'> = {
  paidAt: null,
  refundedMinor: 0,
  chargedBack: false,
  reversals: 0,
  reversalPendingAt: null,
};
const AT = new Date('2026-11-22T10:15:00Z');

describe('paymentOnRecord', () => {
  it.each<[string, Partial<typeof unpaid>, boolean]>([
    ['nothing recorded', {}, false],
    ['paid', { paidAt: AT }, true],
    ['a refund that overtook its payment', { refundedMinor: 1 }, true],
    ['a chargeback that overtook its payment', { chargedBack: true }, true],
    ['paid, then reversed (unpaid again)', { reversals: 1 }, true],
    ['a reversal that overtook its payment', { reversalPendingAt: AT }, true],
  ])('%s: %p', (_, row, expected) => {
    expect(paymentOnRecord({ ...unpaid, ...row })).toBe(expected);
  });
});
