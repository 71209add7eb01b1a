import { formatDate, formatDateTime, formatDecimal, formatInteger, formatLastDay, formatMoney, formatSignedInteger, sumByLastDay } from '../../plugin/i18n/format';

describe('i18n formatting', () => {
  it('formats for the locale', () => {
    expect(formatInteger('en', 1234567)).toBe('1,234,567');
    expect(formatSignedInteger('en', 5)).toBe('+5');
    expect(formatSignedInteger('en', 0)).toBe('0');
    expect(formatDecimal('en', 2.5)).toBe('2.5');
    expect(formatDate('en', new Date('2026-11-23T23:59:00Z'), 'UTC')).toBe('Nov 23, 2026');
    expect(formatMoney('en', { currency: 'USD', minor: 123456 })).toBe('$1,234.56');
    expect(formatMoney('en', { currency: 'JPY', minor: 1500 })).toBe('¥1,500');
    // Exact to the minor unit, past what a float holds.
    expect(formatMoney('en', { currency: 'USD', minor: 900719925474099 })).toBe('$9,007,199,254,740.99');
  });

  it('builds one Intl formatter per (locale, options), not one per call (DESIGN §10)', () => {
    const numbers = jest.spyOn(Intl, 'NumberFormat');
    const dates = jest.spyOn(Intl, 'DateTimeFormat');
    try {
      for (let i = 0; i < 50; i++) {
        formatInteger('de', i);
        formatSignedInteger('de', i);
        formatMoney('de', { currency: 'EUR', minor: i });
        formatDate('de', new Date(i * 86_400_000), 'UTC');
      }
      expect(numbers.mock.calls.length).toBeLessThanOrEqual(3);
      expect(dates.mock.calls.length).toBeLessThanOrEqual(1);
      expect(formatInteger('de', 1234)).toBe('1.234');
    } finally {
      numbers.mockRestore();
      dates.mockRestore();
    }
  });

  it('tells an instant’s date and time on a given clock, with the zone; one formatter per (zone, locale), none shared across zones', () => {
    const at = new Date('2026-12-23T21:30:00Z');
    const dates = jest.spyOn(Intl, 'DateTimeFormat');
    try {
      for (let i = 0; i < 20; i++) {
        formatDateTime('de', at, 'UTC');
        formatDateTime('de', at, 'Asia/Tokyo');
      }
      expect(dates.mock.calls.length).toBeLessThanOrEqual(2);
      expect(formatDateTime('en', at, 'UTC')).toBe('Dec 23, 2026, 9:30 PM UTC');
      // The next day on Tokyo's clock: a deadline is told where its day is.
      expect(formatDateTime('en', at, 'Asia/Tokyo')).toBe('Dec 24, 2026, 6:30 AM GMT+9');
      expect(formatDateTime('ru', at, 'Europe/Moscow')).toBe('24 дек. 2026 г., 00:30 GMT+3');
    } finally {
      dates.mockRestore();
    }
  });

  it('tells an instant’s day on the given clock, with one formatter per (locale, zone) and none shared across zones', () => {
    const at = new Date('2026-11-23T23:30:00Z');
    const dates = jest.spyOn(Intl, 'DateTimeFormat');
    try {
      for (let i = 0; i < 20; i++) {
        formatDate('fr', at, 'UTC');
        formatDate('fr', at, 'Asia/Tokyo');
        formatLastDay('fr', at, 'America/New_York');
      }
      expect(dates.mock.calls.length).toBeLessThanOrEqual(3);
    } finally {
      dates.mockRestore();
    }
    expect(formatDate('en', at, 'UTC')).toBe('Nov 23, 2026');
    expect(formatDate('en', at, 'America/New_York')).toBe('Nov 23, 2026');
    expect(formatDate('en', at, 'Asia/Tokyo')).toBe('Nov 24, 2026');
    expect(formatDate('ru', at, 'Europe/Moscow')).toBe('24 нояб. 2026 г.');
  });

  it('tells a deadline by its last day on the given clock: one at midnight there lasts the day before', () => {
    // End of November on each clock: the first instant of December there.
    expect(formatLastDay('en', new Date('2026-12-01T00:00:00Z'), 'UTC')).toBe('Nov 30, 2026');
    expect(formatLastDay('en', new Date('2026-12-01T05:00:00Z'), 'America/New_York')).toBe('Nov 30, 2026');
    expect(formatLastDay('en', new Date('2026-11-30T21:00:00Z'), 'Europe/Moscow')).toBe('Nov 30, 2026');
    // The same instants on another clock fall during a day, which is then the last one.
    expect(formatLastDay('en', new Date('2026-12-01T05:00:00Z'), 'UTC')).toBe('Dec 1, 2026');
    expect(formatLastDay('en', new Date('2026-12-01T00:00:00Z'), 'Asia/Tokyo')).toBe('Dec 1, 2026');
    // A deadline during the day: that day; one millisecond after midnight: that day too.
    expect(formatLastDay('en', new Date('2026-12-05T10:15:00Z'), 'UTC')).toBe('Dec 5, 2026');
    expect(formatLastDay('en', new Date('2026-12-01T00:00:00.001Z'), 'UTC')).toBe('Dec 1, 2026');
    // Across the end of summer time (New York, Nov 1 2026): midnight after it is 05:00Z.
    expect(formatLastDay('en', new Date('2026-11-02T05:00:00Z'), 'America/New_York')).toBe('Nov 1, 2026');
    expect(formatLastDay('en', new Date('2026-11-01T04:00:00Z'), 'America/New_York')).toBe('Oct 31, 2026');
  });

  it('sums deadlines by the last day they name, soonest first', () => {
    const deadlines = [
      { points: 10, expiresAt: new Date('2026-12-01T00:00:00Z') },
      { points: 5, expiresAt: new Date('2026-11-30T18:00:00Z') },
      { points: 7, expiresAt: new Date('2026-12-01T00:00:00.001Z') },
      { points: 1, expiresAt: new Date('2027-01-01T00:00:00Z') },
    ].sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime());
    expect(sumByLastDay(deadlines, 'en', 'UTC')).toEqual([
      { day: 'Nov 30, 2026', points: 15 },
      { day: 'Dec 1, 2026', points: 7 },
      { day: 'Dec 31, 2026', points: 1 },
    ]);
    // On Tokyo's clock all of November's deadlines fall on December 1.
    expect(sumByLastDay(deadlines, 'en', 'Asia/Tokyo')).toEqual([
      { day: 'Dec 1, 2026', points: 22 },
      { day: 'Jan 1, 2027', points: 1 },
    ]);
  });
});
