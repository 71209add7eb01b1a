import fc from 'fast-check';
import { decimalPattern, parseDecimal, scaleTo } from '../../plugin/domain/decimal';

describe('parseDecimal: exact, one spelling per value', () => {
  it.each([
    ['0', 0n, 0],
    ['12', 12n, 0],
    ['12.50', 1250n, 2],
    ['0.0001', 1n, 4],
    ['999999.9999', 9999999999n, 4],
    ['12345678901234567890.123', 12345678901234567890123n, 3],
  ])('%s is %s scaled by 10^-%i', (text, units, places) => {
    expect(parseDecimal(text)).toEqual({ units, places });
  });

  it.each(['', '-1', '+1', '01', '1.', '.5', '1e2', '1,5', ' 1', '1 ', '0x10', 'Infinity', 'NaN', '１'])('refuses %j', (text) => {
    expect(parseDecimal(text)).toBeNull();
  });

  it('refuses what is longer than its limits', () => {
    const rate = { wholeDigits: 6, places: 4 };
    expect(parseDecimal('999999.9999', rate)).toEqual({ units: 9999999999n, places: 4 });
    expect(parseDecimal('1000000', rate)).toBeNull();
    expect(parseDecimal('1.00001', rate)).toBeNull();
    expect(decimalPattern(rate).test('100.25')).toBe(true);
    expect(decimalPattern(rate).test('1234567')).toBe(false);
  });

  it('round-trips any integer and scale (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 12 }), (units, places) => {
        const digits = units.toString().padStart(places + 1, '0');
        const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
        const parsed = parseDecimal(text);
        expect(parsed && scaleTo(parsed, 12)).toBe(units * 10n ** BigInt(12 - places));
      }),
    );
  });
});

describe('scaleTo', () => {
  it('pads with zeros, exactly (0.29 × 100 is 29, not 28)', () => {
    expect(Math.floor(0.29 * 100)).toBe(28);
    const cents = parseDecimal('0.29');
    expect(cents && scaleTo(cents, 2) * 100n).toBe(2900n);
    expect(scaleTo({ units: 15n, places: 1 }, 4)).toBe(15000n);
  });

  it('refuses to drop places rather than round', () => {
    expect(() => scaleTo({ units: 12345n, places: 4 }, 2)).toThrow(RangeError);
  });
});
