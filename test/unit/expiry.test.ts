import { addMonthsUtc, expiryFor } from '../../plugin/domain/expiry';

describe('addMonthsUtc', () => {
  it.each([
    ['2026-01-15T10:00:00.000Z', 1, '2026-02-15T10:00:00.000Z'],
    ['2026-01-31T10:00:00.000Z', 1, '2026-02-28T10:00:00.000Z'],
    ['2028-01-31T10:00:00.000Z', 1, '2028-02-29T10:00:00.000Z'],
    ['2026-11-30T23:59:59.999Z', 3, '2027-02-28T23:59:59.999Z'],
    ['2026-11-23T12:00:00.000Z', 12, '2027-11-23T12:00:00.000Z'],
    ['2028-02-29T00:00:00.000Z', 12, '2029-02-28T00:00:00.000Z'],
  ])('%s + %i months = %s', (from, months, to) => {
    expect(addMonthsUtc(new Date(from), months).toISOString()).toBe(to);
  });

  it('keeps points forever when the program sets no expiry', () => {
    expect(expiryFor(new Date(), null)).toBeNull();
  });
});
