/**
 * How deep a JSON value may nest. The canonical event needs 4 levels (`invoice.items.0.amount`);
 * 32 leaves room for unknown panel fields, which are kept, while a body of a few KB nested
 * thousands deep (a stack overflow in the body hash and the schema) is refused up front.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * The path of the first value nested deeper than `max` (`extra.0.0…`, cut at `max + 1`
 * segments), or null. Iterative, so its own depth is no risk, and it stops at the first
 * offender: linear in the part of the value it visits.
 */
export function findTooDeep(value: unknown, max: number = MAX_JSON_DEPTH): string | null {
  const stack: Array<{ value: unknown; path: readonly string[] }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const next = stack.pop();
    if (!next || next.value === null || typeof next.value !== 'object') continue;
    if (next.path.length >= max) return next.path.join('.');
    const entries = Array.isArray(next.value) ? next.value.map((v, i) => [String(i), v] as const) : Object.entries(next.value);
    for (const [key, child] of entries) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, path: [...next.path, key] });
    }
  }
  return null;
}
