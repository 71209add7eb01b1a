import { currencyDigits, toDecimalString, type Money } from '../domain/money';

/**
 * Intl formatting for one locale: pure functions of their inputs. Building an Intl formatter
 * costs far more than using one (a per-call `new Intl.NumberFormat` halved the Rewards tab's
 * throughput, DESIGN §10), so each (kind, locale) formatter is built once and kept.
 * Locales come from a short list of canonicalised tags and options from this file, so the
 * cache stays small.
 */
const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/*
 * Each formatter is found by `kind`, a name for one set of options, and the locale: not by
 * the options themselves, as serialising them for a key cost more than the formatting.
 */
function numberFormat(kind: string, locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${kind}\u0000${locale}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    numberFormats.set(key, format);
  }
  return format;
}

function dateFormat(kind: string, locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${kind}\u0000${locale}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    dateFormats.set(key, format);
  }
  return format;
}

const listFormats = new Map<string, Intl.ListFormat>();

/** "USD, EUR and GBP", "USD, EUR и GBP", "USD、EUR和GBP". */
export function formatList(locale: string, items: readonly string[]): string {
  let format = listFormats.get(locale);
  if (!format) {
    format = new Intl.ListFormat(locale, { type: 'conjunction', style: 'long' });
    listFormats.set(locale, format);
  }
  return format.format(items);
}

const INTEGER: Intl.NumberFormatOptions = { maximumFractionDigits: 0 };
const SIGNED_INTEGER: Intl.NumberFormatOptions = { maximumFractionDigits: 0, signDisplay: 'exceptZero' };
/** Earn rates can be fractional ("2.5 points"); balances never are. */
const DECIMAL: Intl.NumberFormatOptions = { maximumFractionDigits: 4 };
const PERCENT: Intl.NumberFormatOptions = { style: 'percent', maximumFractionDigits: 2 };
const MEDIUM_DATE: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeZone: 'UTC' };

export function formatInteger(locale: string, n: number): string {
  return numberFormat('integer', locale, INTEGER).format(n);
}

export function formatSignedInteger(locale: string, n: number): string {
  return numberFormat('signed', locale, SIGNED_INTEGER).format(n);
}

export function formatDecimal(locale: string, n: number): string {
  return numberFormat('decimal', locale, DECIMAL).format(n);
}

/** A fraction as a percentage: 0.05 → "5%", "%5" (tr), "5 %" where the locale spaces it. */
export function formatPercent(locale: string, fraction: number): string {
  return numberFormat('percent', locale, PERCENT).format(fraction);
}

export function formatDate(locale: string, d: Date): string {
  return dateFormat('medium', locale, MEDIUM_DATE).format(d);
}

/**
 * An instant as a date and time on `timeZone`'s clock, with the zone said ("Mar 12, 2027, 10:15 AM
 * UTC", "12 мар. 2027 г., 13:15 GMT+3"): for a deadline that falls at a time of day, such as a
 * code's expiry. Zones come from the program's setting, so the formatters kept stay few.
 */
export function formatDateTime(locale: string, d: Date, timeZone: string): string {
  return dateFormat(`datetime ${timeZone}`, locale, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone, timeZoneName: 'short' }).format(d);
}

export function formatMoney(locale: string, m: Money): string {
  const digits = currencyDigits(m.currency) ?? 2;
  const format = numberFormat(`currency ${m.currency}`, locale, { style: 'currency', currency: m.currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  // Intl.NumberFormat takes the exact decimal string, so no float ever rounds a cent.
  return format.format(toDecimalString(m) as Intl.StringNumericLiteral);
}

const languageNames = new Map<string, Intl.DisplayNames>();

/** A language's name in the reader's language: "ru" → "Russian", "русский", "Rusça"; unknown codes as given. */
export function formatLanguage(locale: string, language: string): string {
  let names = languageNames.get(locale);
  if (!names) {
    names = new Intl.DisplayNames([locale], { type: 'language', fallback: 'code' });
    languageNames.set(locale, names);
  }
  return names.of(language) ?? language;
}
