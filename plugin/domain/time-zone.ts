/**
 * Calendar arithmetic in the program's time zone (an IANA name), with Intl only: periods,
 * "end of month" expiry and birthdays are days there, while every stored instant stays UTC.
 */

const formats = new Map<string, Intl.DateTimeFormat>();

/** Cached per zone: building an Intl formatter costs far more than using one (DESIGN §10). */
function formatIn(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** Whether Intl knows the zone (`Europe/Berlin`, `UTC`); a typo is refused, not read as UTC. */
export function isTimeZone(name: string): boolean {
  if (name.trim() === '') return false;
  try {
    formatIn(name);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock fields in a zone; month is 0-based, as Date.UTC takes it. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** Zones whose wall clock is UTC's: read without Intl, which costs ~20 µs a call (a backfill makes millions). */
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Etc/Zulu', 'Universal', 'Zulu']);

export function wallTime(at: Date, timeZone: string): WallTime {
  if (UTC_ZONES.has(timeZone)) {
    return {
      year: at.getUTCFullYear(),
      month: at.getUTCMonth(),
      day: at.getUTCDate(),
      hour: at.getUTCHours(),
      minute: at.getUTCMinutes(),
      second: at.getUTCSeconds(),
      millisecond: at.getUTCMilliseconds(),
    };
  }
  const parts: Record<string, number> = {};
  for (const p of formatIn(timeZone).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year ?? 0,
    month: (parts.month ?? 1) - 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
    millisecond: ((at.getTime() % 1000) + 1000) % 1000,
  };
}

/** How far the zone's wall clock is ahead of UTC at `at` (ms): +3 h for Moscow, -5 h for New York in winter. */
export function utcOffset(at: Date, timeZone: string): number {
  return offsetAt(at.getTime(), timeZone);
}

/** How far the zone's wall clock is ahead of UTC at `t` (ms). */
function offsetAt(t: number, timeZone: string): number {
  if (UTC_ZONES.has(timeZone)) return 0;
  const w = wallTime(new Date(t), timeZone);
  return Date.UTC(w.year, w.month, w.day, w.hour, w.minute, w.second, w.millisecond) - t;
}

/**
 * An instant as RFC 3339 in a zone's wall time with its offset, to the second
 * (`2026-12-01T14:00:00+03:00`): how PHP's `DATE_RFC3339` writes it, as WHMCS's addon sends dates.
 */
export function rfc3339In(at: Date, timeZone: string): string {
  const t = Math.floor(at.getTime() / 1000) * 1000;
  const w = wallTime(new Date(t), timeZone);
  const offset = Math.round(offsetAt(t, timeZone) / 60_000);
  const two = (n: number) => String(n).padStart(2, '0');
  const sign = offset < 0 ? '-' : '+';
  return `${String(w.year).padStart(4, '0')}-${two(w.month + 1)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}:${two(w.second)}${sign}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
}

/**
 * The instant a wall-clock time names in a zone. Fields may overflow (month 12 is January of
 * the next year), as with Date.UTC. A time skipped by a DST jump resolves to the instant
 * after the jump; a repeated one to its first occurrence.
 */
export function zonedInstant(w: Partial<WallTime> & Pick<WallTime, 'year' | 'month' | 'day'>, timeZone: string): Date {
  const asUtc = Date.UTC(w.year, w.month, w.day, w.hour ?? 0, w.minute ?? 0, w.second ?? 0, w.millisecond ?? 0);
  // The offsets either side of a transition near the wall time; an answer keeps its own offset.
  const offsets = new Set([offsetAt(asUtc, timeZone), offsetAt(asUtc - offsetAt(asUtc, timeZone), timeZone)]);
  const candidates = [...offsets].map((o) => asUtc - o);
  const valid = candidates.filter((t) => asUtc - offsetAt(t, timeZone) === t);
  // Repeated wall time: its first occurrence. Skipped wall time: the instant after the jump.
  return new Date(valid.length > 0 ? Math.min(...valid) : Math.max(...candidates));
}

/** Days in a month (0-based), any year. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** `at` plus calendar months in the zone, at the same wall-clock time, clamped to the month's last day. */
export function addMonthsIn(at: Date, months: number, timeZone: string): Date {
  const w = wallTime(at, timeZone);
  const target = new Date(Date.UTC(w.year, w.month + months, 1));
  const year = target.getUTCFullYear();
  const month = target.getUTCMonth();
  return zonedInstant({ ...w, year, month, day: Math.min(w.day, daysInMonth(year, month)) }, timeZone);
}

/** The first instant of the month `months` after the one `at` falls in, in the zone: its end is the instant before. */
export function startOfMonthAfter(at: Date, months: number, timeZone: string): Date {
  const w = wallTime(at, timeZone);
  return zonedInstant({ year: w.year, month: w.month + months + 1, day: 1 }, timeZone);
}

/** The first instant of the year `years` after the one `at` falls in, in the zone. */
export function startOfYearAfter(at: Date, years: number, timeZone: string): Date {
  const w = wallTime(at, timeZone);
  return zonedInstant({ year: w.year + years + 1, month: 0, day: 1 }, timeZone);
}

/** How a form's date and time reads: what a datetime-local input posts, seconds optional. */
export const WALL_DATE_TIME_FORMAT = 'YYYY-MM-DDTHH:MM';
const WALL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;
/** MySQL's DATETIME ends with year 9999: a wall time a zone puts past it can't be stored. */
const LAST_STORABLE = Date.UTC(9999, 11, 31);
/**
 * The last instant a DATETIME(3) holds. A bound past it (the end of 31 December 9999 in a zone
 * behind UTC, year 10000 in UTC) reaches MySQL as no date at all and matches nothing, where
 * SQLite's epoch numbers compare fine: a query's bounds are clamped to it (`storableBound`).
 */
export const LAST_STORABLE_INSTANT = new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999));

/** The days a filter may name (`YYYY-MM-DD`): from the epoch, as `parseWallDateTime`, to the last year the database stores. */
export const STORABLE_DAYS = { first: '1970-01-01', last: '9999-12-31' } as const;

/** `at`, or the last storable instant when it is later: an exclusive upper bound for a query. */
export function storableBound(at: Date): Date {
  return at > LAST_STORABLE_INSTANT ? LAST_STORABLE_INSTANT : at;
}

/**
 * A form's date and time (`2026-12-24T18:00`, seconds optional) as the instant it names in a
 * zone, or null when it is no such date and time (30 February, 24:00), before 1970 (a window
 * before the epoch means nothing here) or beyond what the database stores. An admin types
 * times on the program's clock, not UTC.
 */
export function parseWallDateTime(text: string, timeZone: string): Date | null {
  const m = WALL_DATE_TIME.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month - 1) || hour > 23 || minute > 59 || second > 59) return null;
  const at = zonedInstant({ year, month: month - 1, day, hour, minute, second }, timeZone);
  return at.getTime() < LAST_STORABLE ? at : null;
}

/** An instant as a form shows it in a zone (`2026-12-24T18:00`), with seconds only where it has them. */
export function wallDateTimeText(at: Date, timeZone: string): string {
  const w = wallTime(at, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  const minutes = `${String(w.year).padStart(4, '0')}-${two(w.month + 1)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}`;
  return w.second === 0 ? minutes : `${minutes}:${two(w.second)}`;
}
