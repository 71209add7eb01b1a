import currencyCodes from 'currency-codes';
import { parseDecimal, scaleTo } from './decimal';

/** Money is integer minor units plus an ISO 4217 code; it never passes through a float. */
export interface Money {
  currency: string;
  minor: number;
}

/** The largest amount one event may carry, in major units. Larger values are refused. */
export const MAX_MAJOR_UNITS = 1_000_000_000;

/** By three-letter code, known or not (at most 26³ entries). */
const digitsByCode = new Map<string, number | undefined>();

/** Units of account of institutions, listed with countries in currency-codes but never billed in. */
const NOT_BILLED = new Set(['XDR', 'XSU', 'XUA']);
/** Currencies newer than currency-codes' list: the Caribbean guilder (2025, replacing ANG). */
const NEWER: Readonly<Record<string, number>> = { XCG: 2 };

/**
 * ISO 4217 minor-unit digits, or undefined for codes that are not a currency a client can be
 * billed in (unknown codes, the special-purpose X-codes for gold, testing, "no currency", and
 * institutional units of account).
 */
export function currencyDigits(code: string): number | undefined {
  // currency-codes looks a code up by a linear scan of its list: a backfill parses millions.
  if (digitsByCode.has(code)) return digitsByCode.get(code);
  if (!/^[A-Z]{3}$/.test(code)) return undefined;
  const entry = currencyCodes.code(code);
  const digits = NEWER[code] ?? (!entry || NOT_BILLED.has(code) || entry.countries.every((c) => c.startsWith('Zz')) ? undefined : entry.digits);
  digitsByCode.set(code, digits);
  return digits;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parses a decimal string such as "120.50" into minor units of `currency`. */
export function parseMoney(text: unknown, currency: string): ParseResult<Money> {
  const digits = currencyDigits(currency);
  if (digits === undefined) return { ok: false, message: `has unknown currency ${JSON.stringify(currency)}` };
  if (typeof text !== 'string') return { ok: false, message: 'must be a decimal string such as "12.50"' };
  if (text.startsWith('-')) return { ok: false, message: 'must not be negative' };
  const amount = parseDecimal(text);
  if (!amount) return { ok: false, message: 'must be a decimal string such as "12.50"' };
  if (amount.places > digits) {
    return { ok: false, message: `has more than ${digits} decimal${digits === 1 ? '' : 's'} for ${currency}` };
  }
  const minor = scaleTo(amount, digits);
  if (minor > BigInt(MAX_MAJOR_UNITS) * 10n ** BigInt(digits)) {
    return { ok: false, message: `exceeds the limit of ${MAX_MAJOR_UNITS} ${currency}` };
  }
  return { ok: true, value: { currency, minor: Number(minor) } };
}

/** Minor units back to an exact decimal string ("12.50"), for Intl formatting and payloads. */
export function toDecimalString(money: Money): string {
  const digits = currencyDigits(money.currency) ?? 2;
  const negative = money.minor < 0;
  const abs = BigInt(Math.abs(money.minor)).toString().padStart(digits + 1, '0');
  const text = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  return negative ? `-${text}` : text;
}
