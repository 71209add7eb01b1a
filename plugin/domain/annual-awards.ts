/** Once-a-year bonuses: the member's birthday and the anniversary of joining. Pure dates, no I/O. */
export const ANNUAL_AWARDS = ['birthday', 'anniversary'] as const;
export type AnnualAward = (typeof ANNUAL_AWARDS)[number];

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface CalendarDay {
  year: number;
  /** `MM-DD`, as the members' birthday and joined month-day columns hold it. */
  monthDay: string;
}

export function parseDay(day: string): CalendarDay {
  const m = DAY.exec(day);
  if (!m) throw new Error(`Not a calendar day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  return { year: Number(m[1]), monthDay: `${m[2]}-${m[3]}` };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * The month-days celebrated on `day`: its own, plus 29 February on 28 February of a year
 * without one, so a leap-day birthday or join date is never skipped and never doubled.
 */
export function monthDaysCelebratedOn(day: string): string[] {
  const { year, monthDay } = parseDay(day);
  return monthDay === '02-28' && !isLeapYear(year) ? ['02-28', '02-29'] : [monthDay];
}

/** Whole years of membership completed on `day` by a member who joined on `joinedDay` (both YYYY-MM-DD). */
export function yearsCompleted(joinedDay: string, day: string): number {
  const joined = parseDay(joinedDay);
  const on = parseDay(day);
  const celebrated = monthDaysCelebratedOn(day).includes(joined.monthDay) || on.monthDay > joined.monthDay;
  return Math.max(0, on.year - joined.year - (celebrated ? 0 : 1));
}

/** The ledger reference that makes an award once a year: `birthday:2026`. */
export function annualReference(award: AnnualAward, year: number): string {
  return `${award}:${year}`;
}
