import { currencyDigits, MAX_MAJOR_UNITS, parseMoney, toDecimalString } from '../../plugin/domain/money';

describe('currencyDigits (ISO 4217)', () => {
  it.each([
    ['USD', 2],
    ['JPY', 0],
    ['KWD', 3],
    ['IQD', 3],
    ['HUF', 2],
    ['CLF', 4],
    ['XCG', 2],
    ['XAF', 0],
  ])('%s has %i minor digits', (code, digits) => {
    expect(currencyDigits(code)).toBe(digits);
  });

  it.each(['XXX', 'XAU', 'XTS', 'XDR', 'XSU', 'XUA', 'ZZZ', 'usd', 'US', ''])('refuses %p as a billing currency', (code) => {
    expect(currencyDigits(code)).toBeUndefined();
  });
});

describe('parseMoney', () => {
  it.each([
    ['120.00', 'USD', 12000],
    ['120', 'USD', 12000],
    ['0.29', 'USD', 29],
    ['0.1', 'USD', 10],
    ['0', 'USD', 0],
    ['1500', 'JPY', 1500],
    ['1.234', 'KWD', 1234],
    ['1000000000', 'USD', 100000000000],
    ['1000000000.00', 'USD', 100000000000],
  ])('%s %s is %i minor units', (text, cur, minor) => {
    expect(parseMoney(text, cur)).toEqual({ ok: true, value: { currency: cur, minor } });
  });

  it.each([
    ['-1.00', 'USD', 'must not be negative'],
    ['abc', 'USD', 'must be a decimal string'],
    ['1e3', 'USD', 'must be a decimal string'],
    ['1.', 'USD', 'must be a decimal string'],
    ['.5', 'USD', 'must be a decimal string'],
    ['01.00', 'USD', 'must be a decimal string'],
    [' 1.00', 'USD', 'must be a decimal string'],
    ['1.001', 'USD', 'more than 2 decimals for USD'],
    ['1.5', 'JPY', 'more than 0 decimals for JPY'],
    ['1000000000.01', 'USD', 'exceeds the limit'],
    ['99999999999', 'USD', 'exceeds the limit'],
    ['1.00', 'ZZZ', 'unknown currency'],
  ])('refuses %p %s: %s', (text, cur, message) => {
    const r = parseMoney(text, cur);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain(message);
  });

  it('refuses non-strings, so a float never becomes money', () => {
    expect(parseMoney(12.5, 'USD')).toEqual({ ok: false, message: expect.stringContaining('decimal string') });
  });

  it('keeps exactness at the limit', () => {
    expect(parseMoney(String(MAX_MAJOR_UNITS), 'KWD')).toEqual({ ok: true, value: { currency: 'KWD', minor: 1e12 } });
  });
});

describe('toDecimalString', () => {
  it.each([
    [{ currency: 'USD', minor: 12050 }, '120.50'],
    [{ currency: 'USD', minor: 5 }, '0.05'],
    [{ currency: 'JPY', minor: 1500 }, '1500'],
    [{ currency: 'KWD', minor: 1 }, '0.001'],
    [{ currency: 'USD', minor: -250 }, '-2.50'],
  ])('%j is %s', (money, text) => {
    expect(toDecimalString(money)).toBe(text);
  });
});
