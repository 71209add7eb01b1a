/**
 * An HTTP `Retry-After` value as a delay in milliseconds from `now`: delay-seconds (`120`) or an
 * HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`, compared with `now`, the receiver's own clock
 * being the wall clock). A date in the past is 0; anything else unreadable is undefined.
 */
export function retryAfterMs(value: unknown, now: Date = new Date()): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // An HTTP date names a weekday and GMT; Date.parse would also take "1" or "2026" as dates.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
