import { currencyDigits, toDecimalString, type Money } from '../domain/money';

/**
 * Intl formatting for one locale: pure functions of their inputs. Building an Intl formatter
 * costs far more than using one (a per-call `new Intl.NumberFormat` halved the Rewards tab's
 * throughput, DESIGN §10), so each (kind, locale) formatter is built once and kept, and each
 * (kind, locale, time zone) date formatter. Locales come from a short list of canonicalised
 * tags, zones from the program's setting and options from this file, so the cache stays small.
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

function dateFormat(kind: string, locale: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${kind}\u0000${locale}\u0000${timeZone}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
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
const MEDIUM_DATE: Intl.DateTimeFormatOptions = { dateStyle: 'medium' };
const DATE_TIME: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' };

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

/**
 * The day an instant falls on, on `timeZone`'s clock ("Nov 22, 2026"): members read dates on
 * the program's clock (setting `time_zone`), the clock its days, months and expiry follow. A
 * calendar day that is no instant (a renewal's due date, `YYYY-MM-DD`) is its midnight UTC,
 * read on 'UTC'.
 */
export function formatDate(locale: string, d: Date, timeZone: string): string {
  return dateFormat('medium', locale, timeZone, MEDIUM_DATE).format(d);
}

/**
 * A deadline (an expiry, the end of a grace period or a promotion) as the last day that still
 * counts, on `timeZone`'s clock: deadlines are exclusive (at the instant itself the points are
 * gone), so one at midnight has the day before as its last day ("expires Dec 1, 00:00" → "Nov
 * 30"), and one during a day has that day. Say it with words that make the day inclusive ("last
 * day: …"), never "on" or "before" it.
 */
export function formatLastDay(locale: string, deadline: Date, timeZone: string): string {
  return formatDate(locale, lastDayOf(deadline), timeZone);
}

/**
 * Points by deadline, soonest first, as a member reads them: by last day (`formatLastDay`), the
 * points of deadlines that share one summed under it, so no day is said twice.
 */
export function sumByLastDay(deadlines: ReadonlyArray<{ points: number; expiresAt: Date }>, locale: string, timeZone: string): Array<{ day: string; points: number }> {
  const days: Array<{ day: string; points: number }> = [];
  for (const d of deadlines) {
    const day = formatLastDay(locale, d.expiresAt, timeZone);
    const previous = days[days.length - 1];
    if (previous?.day === day) previous.points += d.points;
    else days.push({ day, points: d.points });
  }
  return days;
}

/** An instant on the last day before the exclusive `deadline` (its last millisecond), on any clock. */
function lastDayOf(deadline: Date): Date {
  return new Date(deadline.getTime() - 1);
}

/**
 * An instant as a date and time on `timeZone`'s clock, with the zone said ("Mar 12, 2027, 10:15 AM
 * UTC", "12 мар. 2027 г., 13:15 GMT+3"): for a deadline that falls at a time of day, such as a
 * code's expiry. Zones come from the program's setting, so the formatters kept stay few.
 */
export function formatDateTime(locale: string, d: Date, timeZone: string): string {
  return dateFormat('datetime', locale, timeZone, DATE_TIME).format(d);
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
