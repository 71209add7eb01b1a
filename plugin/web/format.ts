import { currencyDigits, toDecimalString, type Money } from '../domain/money';

/** Intl formatting for one locale. Pure functions of their inputs; no I/O. */
export function formatInteger(locale: string, n: number): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

export function formatSignedInteger(locale: string, n: number): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0, signDisplay: 'exceptZero' }).format(n);
}

export function formatDate(locale: string, d: Date): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

export function formatMoney(locale: string, m: Money): string {
  const digits = currencyDigits(m.currency) ?? 2;
  // Intl.NumberFormat takes the exact decimal string, so no float ever rounds a cent.
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: m.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(toDecimalString(m) as unknown as number);
}
