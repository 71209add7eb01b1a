/** Adds calendar months in UTC, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb). */
export function addMonthsUtc(date: Date, months: number): Date {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const result = new Date(date.getTime());
  result.setUTCFullYear(y, m, Math.min(date.getUTCDate(), lastDay));
  return result;
}

/** When a lot earned at `earnedAt` expires, or null when the program keeps points forever. */
export function expiryFor(earnedAt: Date, expiryMonths: number | null): Date | null {
  return expiryMonths === null ? null : addMonthsUtc(earnedAt, expiryMonths);
}

/** When points earned at `earnedAt` stop being refundable and can be spent. */
export function availableFrom(earnedAt: Date, refundWindowDays: number): Date {
  return new Date(earnedAt.getTime() + refundWindowDays * 86_400_000);
}
