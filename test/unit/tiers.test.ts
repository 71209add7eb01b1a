import { cashbackKept, decideTier, leavesWindowAt, monthKey, nextTier, renewalDiscount, tierForSpend, toQualifying, windowMonths, type Tier } from '../../plugin/domain/tiers';

const tier = (id: number, rank: number, thresholdMinor: number): Tier => ({
  id,
  name: `T${rank}`,
  rank,
  thresholdMinor,
  earnMultiplier: '1',
  renewalDiscountBp: 0,
  perks: {},
  names: {},
});
const TIERS = [tier(1, 1, 0), tier(2, 2, 50_000), tier(3, 3, 200_000), tier(4, 4, 1_000_000)];
const NOW = new Date('2026-11-23T12:00:00Z');
const settings = { baseCurrency: 'USD', qualifyingRates: { EUR: '1.08', JPY: '0.0067' }, graceDays: 30 };

describe('tierForSpend', () => {
  it.each([
    [0, 1],
    [49_999, 1],
    [50_000, 2],
    [199_999, 2],
    [200_000, 3],
    [10_000_000, 4],
  ])('spend %i → rank %i', (spend, rank) => {
    expect(tierForSpend(TIERS, spend)?.rank).toBe(rank);
  });

  it('finds the next tier, and none above the top', () => {
    expect(nextTier(TIERS, TIERS[1]!)?.rank).toBe(3);
    expect(nextTier(TIERS, TIERS[3]!)).toBeNull();
  });
});

describe('decideTier', () => {
  const base = { tiers: TIERS, now: NOW, graceDays: 30, review: false, belowSince: null };
  it.each<[string, Partial<Parameters<typeof decideTier>[0]>, string, number | null]>([
    ['upgrades at once when spend crosses a threshold', { currentTierId: 1, spendMinor: 50_000 }, 'upgrade', 2],
    ['places a new member in the entry tier', { currentTierId: null, spendMinor: 0 }, 'upgrade', 1],
    ['skips tiers when spend jumps', { currentTierId: 1, spendMinor: 250_000 }, 'upgrade', 3],
    ['starts the grace clock when spend falls below', { currentTierId: 3, spendMinor: 100_000 }, 'mark_below', null],
    ['does not downgrade on an event, even after grace', { currentTierId: 3, spendMinor: 100_000, belowSince: new Date('2026-01-01') }, 'none', null],
    ['does not downgrade in review before grace ends', { currentTierId: 3, spendMinor: 100_000, belowSince: new Date(NOW.getTime() - 29 * 86_400_000), review: true }, 'none', null],
    ['downgrades in review once grace has run', { currentTierId: 3, spendMinor: 100_000, belowSince: new Date(NOW.getTime() - 30 * 86_400_000), review: true }, 'downgrade', 2],
    ['clears the clock when spend recovers', { currentTierId: 3, spendMinor: 200_000, belowSince: new Date('2026-11-01') }, 'clear_below', null],
    ['does nothing when steady', { currentTierId: 2, spendMinor: 60_000 }, 'none', null],
  ])('%s', (_name, input, action, toRank) => {
    const d = decideTier({ ...base, currentTierId: null, spendMinor: 0, ...input });
    expect(d.action).toBe(action);
    if (toRank !== null) expect('to' in d && d.to?.rank).toBe(toRank);
  });
});

describe('qualifying spend', () => {
  it.each([
    [{ currency: 'USD', minor: 12_345 }, 12_345],
    [{ currency: 'EUR', minor: 10_000 }, 10_800],
    [{ currency: 'JPY', minor: 10_000 }, 6_700],
    [{ currency: 'RUB', minor: 10_000 }, null],
  ])('%j counts as %p base minor units', (money, expected) => {
    expect(toQualifying(money, settings)).toBe(expected);
  });

  it('windows are the 12 calendar months ending now', () => {
    expect(windowMonths(NOW)).toEqual([
      '2026-11', '2026-10', '2026-09', '2026-08', '2026-07', '2026-06', '2026-05', '2026-04', '2026-03', '2026-02', '2026-01', '2025-12',
    ]);
    expect(monthKey(new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12');
    expect(leavesWindowAt('2026-03').toISOString()).toBe('2027-03-01T00:00:00.000Z');
    expect(leavesWindowAt('2026-12').toISOString()).toBe('2027-12-01T00:00:00.000Z');
  });
});

describe('money and multipliers', () => {
  it.each([
    [10_000, 500, 500],
    [999, 500, 49],
    [1, 10_000, 1],
    [5_000, 20_000, 5_000],
    [0, 500, 0],
  ])('renewal discount of %i at %i bp is %i, floor-rounded and never above the lines', (total, bp, expected) => {
    expect(renewalDiscount(total, bp)).toBe(expected);
  });
});

describe('cashbackKept', () => {
  it.each([
    // full cashback, invoice total, refunded → the cashback the refunds leave
    [500, 12_000, 0, 500],
    [500, 12_000, 6_000, 250],
    [500, 12_000, 3_000, 375],
    [500, 12_000, 12_000, 0],
    [500, 12_000, 20_000, 0],
    [1, 20, 10, 0],
    [100, 3_000, 1_000, 66],
    [0, 12_000, 0, 0],
    [500, 0, 0, 0],
  ])('%i of an invoice of %i with %i refunded keeps %i, floor-rounded', (full, total, refunded, expected) => {
    expect(cashbackKept(full, total, refunded)).toBe(expected);
  });
});
