import type { z } from 'zod';

/** One bad input field: where (a dotted path) and why, in words a caller can act on. */
export interface FieldProblem {
  path: string;
  message: string;
}

/**
 * zod issues as field problems. With `input`, an issue at a path the input doesn't have says
 * "is required" instead of zod's type message, which reads oddly for a missing field.
 */
export function fieldProblems(error: z.ZodError, input?: unknown): FieldProblem[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: input !== undefined && valueAt(input, i.path) === undefined ? 'is required' : i.message,
  }));
}

/** Field problems as one line for a log or an error message: `a.b: reason; c: reason`. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
}

function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = json;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}
