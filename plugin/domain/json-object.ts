/** A JSON object (not an array, not null): what a parsed body's field must be to be read by key. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
