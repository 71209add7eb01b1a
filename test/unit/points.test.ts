import fc from 'fast-check';
import { earningBasis } from '../../plugin/domain/earning';
import { MAX_POINTS, pointsLimitProblem, rateForDisplay, type EarnRates } from '../../plugin/domain/points';
import { evaluateInvoice } from '../../plugin/domain/rules';
import type { Invoice, InvoiceItem } from '../../plugin/domain/billing-event';
import type { Money } from '../../plugin/domain/money';

const RATES = { USD: '1', EUR: '1', GBP: '1', RUB: '0.01', JPY: '0.01', KWD: '3.25' };
const usd = (minor: number) => ({ currency: 'USD', minor });

/** The base award alone on a paid amount, in the shape the old pointsForAmount returned. */
function pointsForAmount(amount: Money, rates: EarnRates) {
  const r = evaluateInvoice({
    invoice: { id: '1', currency: amount.currency, total: amount, paidFromCredit: { currency: amount.currency, minor: 0 } },
    member: { isFirstPurchase: false, tierMultiplier: '1', tier: null },
    rules: [],
    rates,
    at: new Date('2026-11-23T00:00:00Z'),
  });
  if (r.kind !== 'awards') return r;
  return { kind: 'points', points: r.awards.find((a) => a.rule === 'base_rate')?.points ?? 0, rate: r.rate };
}

describe('the base award: floor(amount × rate)', () => {
  it.each([
    // amount, currency, rate table, points
    [12000, 'USD', RATES, 120],
    [12099, 'USD', RATES, 120],
    [99, 'USD', RATES, 0],
    [29, 'USD', { USD: '100' }, 29],
    [450000, 'RUB', RATES, 45],
    [1999, 'JPY', RATES, 19],
    [1000, 'KWD', RATES, 3],
    [10000, 'USD', { USD: '0.5' }, 50],
    [10001, 'USD', { USD: '1.0001' }, 100],
    [100000000000, 'USD', { USD: '10' }, 10000000000],
    // MAX_POINTS exactly: 10^12 points.
    [100000000000, 'USD', { USD: '1000' }, MAX_POINTS],
  ])('%i minor %s → %i points', (minor, currency, rates, points) => {
    expect(pointsForAmount({ currency, minor }, rates)).toEqual({ kind: 'points', points, rate: rates[currency as keyof typeof rates] });
  });

  it('refuses more than MAX_POINTS, with the exact count, rather than round, cut or overflow', () => {
    expect(pointsForAmount({ currency: 'USD', minor: 100000000000 }, { USD: '999999.9999' })).toEqual({ kind: 'too_many_points', points: 999999999900000n });
    expect(pointsForAmount({ currency: 'USD', minor: 100000000001 }, { USD: '1000' })).toEqual({ kind: 'too_many_points', points: 1000000000010n });
  });

  it('earns nothing in a currency without a rate, and says so', () => {
    expect(pointsForAmount({ currency: 'VND', minor: 250000 }, RATES)).toEqual({ kind: 'no_rate', currency: 'VND' });
  });

  it('never guesses with a malformed rate', () => {
    expect(pointsForAmount(usd(100), { USD: '1e2' })).toEqual({ kind: 'no_rate', currency: 'USD' });
  });

  it('is exact where a float product is not (0.29 × 100 = 29, not 28)', () => {
    expect(Math.floor(0.29 * 100)).toBe(28);
    expect(pointsForAmount(usd(29), { USD: '1' })).toMatchObject({ points: 0 });
    expect(pointsForAmount(usd(29), { USD: '100' })).toMatchObject({ points: 29 });
  });

  it('matches exact rational arithmetic for any amount and rate, refusing past MAX_POINTS (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 0, max: 99_999_999 }), (minor, rateScaled) => {
        const rate = `${Math.floor(rateScaled / 10_000)}.${String(rateScaled % 10_000).padStart(4, '0')}`;
        const r = pointsForAmount(usd(minor), { USD: rate });
        const expected = (BigInt(minor) * BigInt(rateScaled)) / 1_000_000n;
        expect(r).toEqual(expected > BigInt(MAX_POINTS) ? { kind: 'too_many_points', points: expected } : { kind: 'points', points: Number(expected), rate });
      }),
    );
  });
});

describe('earningBasis', () => {
  const item = (type: InvoiceItem['type'], minor: number): InvoiceItem => ({ type, amount: usd(minor) });
  const invoice = (parts: Partial<Invoice>): Invoice => ({
    id: '1',
    currency: 'USD',
    total: usd(12000),
    paidFromCredit: usd(0),
    ...parts,
  });

  it.each<[string, Partial<Invoice>, number]>([
    ['the total when the panel sends no lines', {}, 12000],
    ['the sum of purchase lines', { items: [item('renewal', 10000), item('domain', 2000)] }, 12000],
    ['lines net of tax, not the taxed total', { total: usd(14400), items: [item('new', 12000)] }, 12000],
    ['nothing for add_funds', { items: [item('add_funds', 5000)], total: usd(5000) }, 0],
    ['nothing for mass_pay', { items: [item('mass_pay', 5000), item('renewal', 1000)], total: usd(6000) }, 1000],
    ['less what was paid from credit', { items: [item('renewal', 10000)], total: usd(10000), paidFromCredit: usd(2550) }, 7450],
    ['capped at the total when lines exceed it (a discount without a line)', { total: usd(9500), items: [item('renewal', 10000)] }, 9500],
    ['capped at the total less its tax', { total: usd(11305), tax: usd(1805), items: [item('renewal', 10000)] }, 9500],
    ['the lines when the total includes tax', { total: usd(11900), tax: usd(1900), items: [item('renewal', 10000)] }, 10000],
    ['zero, never negative, when credit covers funding', { items: [item('add_funds', 5000)], total: usd(5000), paidFromCredit: usd(5000) }, 0],
  ])('is %s', (_name, parts, minor) => {
    expect(earningBasis(invoice(parts))).toEqual(usd(minor));
  });
});

describe('rateForDisplay', () => {
  it.each([
    ['1', 2, '1', 100],
    ['2.5', 2, '2.5', 100],
    ['0.01', 2, '1', 10000],
    ['0.03', 2, '3', 10000],
    ['0.15', 2, '3', 2000],
    ['0.75', 0, '3', 4],
    ['0.25', 0, '1', 4],
    ['0.0001', 2, '1', 1000000],
  ])('rate %s with %i digits reads as %s point(s) per %i minor units', (rate, digits, points, perMinor) => {
    expect(rateForDisplay(rate, digits)).toEqual({ points, perMinor });
  });
});

describe('pointsLimitProblem: an event awards, and a member holds and earns, at most MAX_POINTS', () => {
  const member = (held: number, lifetime = held) => ({ held, lifetime });
  it.each<[string, { held: number; lifetime: number }, number | bigint, string | null]>([
    ['nothing held, the bound exactly', member(0), MAX_POINTS, null],
    ['one past it in one event', member(0), BigInt(MAX_POINTS) + 1n, `would award ${MAX_POINTS + 1} points; an event may award at most ${MAX_POINTS}`],
    ['far past the largest safe integer: still exact', member(0), 10n ** 20n, `would award 100000000000000000000 points; an event may award at most ${MAX_POINTS}`],
    ['a balance that reaches the bound', member(MAX_POINTS - 5), 5, null],
    ['a balance that would pass it', member(MAX_POINTS - 5), 6, `would bring the member's balance to ${MAX_POINTS + 1} points; a member may hold at most ${MAX_POINTS}`],
    ['lifetime points that would pass it, the balance spent', member(0, MAX_POINTS), 1, `would bring the member's lifetime points to ${MAX_POINTS + 1}; at most ${MAX_POINTS} can be earned`],
    ['a debt leaves room for more', member(-10, 10), MAX_POINTS - 10, null],
  ])('%s', (_name, m, points, expected) => {
    expect(pointsLimitProblem(m, points)).toBe(expected);
  });

  it('leaves a sum over thousands of members at the bound exact', () => {
    expect(Number.isSafeInteger(MAX_POINTS * 9_000)).toBe(true);
  });
});
