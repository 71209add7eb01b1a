/** Progress markers for jobs that walk rows in (instant, id) order. */
export interface InstantPosition {
  at: Date;
  id: number;
}

export const encodeInstant = (p: InstantPosition): string => `${p.at.toISOString()}|${p.id}`;

export function decodeInstant(job: string, marker: string | null): InstantPosition | null {
  if (marker === null) return null;
  const [at, id] = marker.split('|');
  const instant = new Date(at ?? '');
  const rowId = Number(id);
  if (Number.isNaN(instant.getTime()) || !Number.isSafeInteger(rowId)) throw new Error(`${job}: unreadable progress marker ${JSON.stringify(marker)}`);
  return { at: instant, id: rowId };
}

export const isAfterInstant = (a: InstantPosition, b: InstantPosition): boolean =>
  a.at.getTime() > b.at.getTime() || (a.at.getTime() === b.at.getTime() && a.id > b.id);

/** The calendar day a daily run is for: its period when that is a day, else the run's UTC day. */
export function runDay(period: string | null, now: Date): string {
  return period !== null && /^\d{4}-\d{2}-\d{2}$/.test(period) ? period : now.toISOString().slice(0, 10);
}
