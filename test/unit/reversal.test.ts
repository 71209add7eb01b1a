import { debtOf, planDraw, planRelease, reversalTarget, standingAward, upgradeReversalTarget } from '../../plugin/domain/reversal';

describe('reversalTarget', () => {
  it.each([
    // earned, total, refunded, chargeback → points that should stand reversed
    [120, 12000, 0, false, 0],
    [120, 12000, 3000, false, 30],
    [120, 12000, 3001, false, 30],
    [100, 3000, 1000, false, 33],
    [100, 3000, 2000, false, 66],
    [100, 3000, 3000, false, 100],
    [120, 12000, 99999, false, 120],
    [120, 12000, 0, true, 120],
    [0, 12000, 12000, false, 0],
    [50, 0, 1, false, 50],
  ])('earned %i of %i, refunded %i, chargeback %p → %i', (earned, totalMinor, refundedMinor, chargedBack, expected) => {
    expect(reversalTarget({ earned, totalMinor, refundedMinor, chargedBack })).toBe(expected);
  });
});

describe('upgradeReversalTarget', () => {
  const paid = new Date('2026-11-22T10:15:00Z');
  it.each([
    // points, paid, reversals, total, refunded, chargeback → points that should stand reversed
    [101, true, 0, 10000, 0, false, 0],
    [101, true, 0, 10000, 4000, false, 40],
    [101, true, 0, 10000, 10000, false, 101],
    [101, true, 0, 10000, 0, true, 101],
    // Reversed (unpaid again): all of it, until a re-payment, which starts from its own refunds.
    [101, false, 1, 10000, 0, false, 101],
    [101, true, 1, 10000, 0, false, 0],
    [101, true, 1, 10000, 3000, false, 30],
    // Never paid, never reversed (refunds waiting for the payment): nothing yet.
    [101, false, 0, 10000, 10000, false, 0],
    [0, false, 1, 10000, 0, false, 0],
  ])('%i points, paid %p, %i reversals, total %i, refunded %i, chargeback %p → %i', (points, isPaid, reversals, totalMinor, refundedMinor, chargedBack, expected) => {
    expect(upgradeReversalTarget(points, { paidAt: isPaid ? paid : null, reversals, totalMinor, refundedMinor, chargedBack })).toBe(expected);
  });

  it('never more than the upgrade earned, and as a refund reverses the invoice’s own points', () => {
    for (const refundedMinor of [0, 1, 3333, 9999, 10000, 20000]) {
      const invoice = { paidAt: paid, reversals: 0, totalMinor: 10000, refundedMinor, chargedBack: false };
      const t = upgradeReversalTarget(77, invoice);
      expect(t).toBeLessThanOrEqual(77);
      expect(t).toBe(reversalTarget({ earned: 77, ...invoice }));
    }
  });
});

describe('standingAward: what of an award still counts against its cap', () => {
  const paid = new Date('2026-11-22T10:15:00Z');
  const row = (over: Partial<Parameters<typeof standingAward>[1] & object> = {}) => ({
    paidAt: paid,
    reversedThroughLedgerId: null,
    totalMinor: 10000,
    refundedMinor: 0,
    chargedBack: false,
    ...over,
  });
  it.each([
    ['no invoice row (not about an invoice)', null, 100],
    ['paid, nothing refunded', row(), 100],
    ['a third refunded: a third of it taken, floored', row({ refundedMinor: 3333 }), 67],
    ['refunded in full', row({ refundedMinor: 10000 }), 0],
    ['charged back', row({ chargedBack: true }), 0],
    ['reversed, unpaid again', row({ paidAt: null, reversedThroughLedgerId: 7 }), 0],
    ['reversed before the column (no mark), unpaid', row({ paidAt: null }), 0],
    ['re-paid: an entry of the payment reversed', row({ reversedThroughLedgerId: 12 }), 0],
    ['re-paid: the mark itself', row({ reversedThroughLedgerId: 10 }), 0],
    ['re-paid: an entry of the re-payment', row({ reversedThroughLedgerId: 9 }), 100],
    ['re-paid, then half refunded: the re-payment’s refunds', row({ reversedThroughLedgerId: 9, refundedMinor: 5000 }), 50],
  ])('%s', (_name, invoice, expected) => {
    expect(standingAward({ id: 10, points: 100 }, invoice)).toBe(expected);
  });

  it('never counts less than stands: what the invoice keeps of the award, rounded up', () => {
    for (let refunded = 0; refunded <= 10000; refunded += 7) {
      const standing = standingAward({ id: 1, points: 33 }, row({ refundedMinor: refunded }));
      expect(standing).toBeGreaterThanOrEqual((33 * (10000 - refunded)) / 10000);
      expect(standing).toBeLessThan((33 * (10000 - refunded)) / 10000 + 1);
    }
  });
});

describe('planDraw', () => {
  const lot = (id: number, remaining: number, pending: boolean, expires?: string, ledgerId = id) => ({
    id,
    ledgerId,
    remaining,
    pending,
    expiresAt: expires ? new Date(expires) : null,
  });

  it('takes pending points first, the invoice’s own lots before others', () => {
    const plan = planDraw([lot(1, 50, false), lot(2, 30, true), lot(3, 40, true)], 60, new Set([2]));
    expect(plan.draws).toEqual([
      { lotId: 2, take: 30, remainingAfter: 0, pending: true },
      { lotId: 3, take: 30, remainingAfter: 10, pending: true },
    ]);
    expect(plan).toMatchObject({ fromPending: 60, fromAvailable: 0, shortfall: 0 });
  });

  it('takes the invoice’s own lots first even once released, so another invoice’s pending points stay pending', () => {
    // Lot 1 is the charged-back invoice's, released; lot 2 another invoice's, still in its refund window.
    const plan = planDraw([lot(1, 100, false), lot(2, 100, true)], 100, new Set([1]));
    expect(plan.draws).toEqual([{ lotId: 1, take: 100, remainingAfter: 0, pending: false }]);
    expect(plan).toMatchObject({ fromPending: 0, fromAvailable: 100, shortfall: 0 });
    // Its own lots spent in part: the rest comes from pending points first, as for any reversal.
    const rest = planDraw([lot(1, 40, false), lot(2, 100, true), lot(3, 100, false)], 100, new Set([1]));
    expect(rest.draws.map((d) => [d.lotId, d.take])).toEqual([
      [1, 40],
      [2, 60],
    ]);
  });

  it('a refund takes pending points first even when the invoice’s own lots are released, its own first within each kind', () => {
    // Lot 1 is the refunded invoice's, released; lot 2 another invoice's, pending; lot 3 the invoice's, pending.
    const plan = planDraw([lot(1, 100, false), lot(2, 100, true), lot(3, 20, true)], 150, new Set([1, 3]), 'pending_first');
    expect(plan.draws.map((d) => [d.lotId, d.take])).toEqual([
      [3, 20],
      [2, 100],
      [1, 30],
    ]);
    expect(plan).toMatchObject({ fromPending: 120, fromAvailable: 30, shortfall: 0 });
  });

  it('then available points, soonest expiry first, then oldest', () => {
    const plan = planDraw([lot(1, 10, false), lot(2, 10, false, '2027-06-01'), lot(3, 10, false, '2027-01-01'), lot(4, 5, true)], 30);
    expect(plan.draws.map((d) => d.lotId)).toEqual([4, 3, 2, 1]);
    expect(plan).toMatchObject({ fromPending: 5, fromAvailable: 25, shortfall: 0 });
  });

  it('reports what was already spent as a shortfall', () => {
    expect(planDraw([lot(1, 10, false)], 25)).toMatchObject({ fromAvailable: 10, shortfall: 15 });
    expect(planDraw([], 7)).toMatchObject({ draws: [], shortfall: 7 });
  });
});

describe('debt netting', () => {
  it('debt is the negative part of the available balance', () => {
    expect([debtOf(-30), debtOf(0), debtOf(12)]).toEqual([30, 0, 0]);
  });

  it('released lots pay off debt first', () => {
    expect(planRelease([{ id: 1, remaining: 20 }, { id: 2, remaining: 50 }], 30)).toEqual({
      lots: [
        { lotId: 1, remainingAfter: 0 },
        { lotId: 2, remainingAfter: 40 },
      ],
      released: 70,
    });
  });
});
