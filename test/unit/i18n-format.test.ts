import { formatDate, formatDateTime, formatDecimal, formatInteger, formatMoney, formatSignedInteger } from '../../plugin/i18n/format';

describe('i18n formatting', () => {
  it('formats for the locale', () => {
    expect(formatInteger('en', 1234567)).toBe('1,234,567');
    expect(formatSignedInteger('en', 5)).toBe('+5');
    expect(formatSignedInteger('en', 0)).toBe('0');
    expect(formatDecimal('en', 2.5)).toBe('2.5');
    expect(formatDate('en', new Date('2026-11-23T23:59:00Z'))).toBe('Nov 23, 2026');
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
        formatDate('de', new Date(i * 86_400_000));
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
});
