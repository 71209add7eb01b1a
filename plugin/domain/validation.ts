import type { z } from 'zod';

/** One bad input field: where (a dotted path) and why, in words a caller can act on. */
export interface FieldProblem {
  path: string;
  message: string;
  /**
   * Why, as a code and its parameters, for pages that show the problem in the reader's
   * language (web/admin/field-errors.ts). The English `message` stays for logs and JSON APIs.
   */
  reason?: ProblemReason;
}

/** The reasons a form field is refused; each has a `field_error.<code>` string in every locale. */
export const PROBLEM_CODES = [
  'required',
  'whole_number',
  'decimal',
  'percentage',
  'amount',
  'at_least',
  'at_most',
  'not_negative',
  'between',
  'one_of',
  'yes_no',
  'json',
  'json_object',
  'wrong_type',
  'time_zone',
  'currency',
  'language',
  'unknown_keys',
  'too_many_entries',
  'too_long',
  'no_repeats',
  'after_start',
  'multiple_of',
  'changed_meanwhile',
  'above_tier',
  'below_tier',
  'date',
  'not_before_from',
  'within_days',
  'in_past',
  'email',
  'id_format',
  'repeats_line',
  'cell_count',
  'unknown_column',
  'column_required',
  'column_twice',
  'empty_file',
  'no_rows',
  'not_csv',
  'not_previewed',
  'multiplier_range',
  'language_code',
  'needs_one_of',
  'exactly_one_of',
  'lowercase_id',
  'points_limit',
  'invalid',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface ProblemReason {
  code: ProblemCode;
  /** Numbers are formatted, lists joined, in the reader's locale. */
  params?: Readonly<Record<string, string | number | readonly string[]>>;
}

const CONTROL_IN_LINE = /[\u0000-\u001f\u007f]/;
/** Multi-line text keeps tabs and line breaks. */
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const INVISIBLE = /[\s\u200b-\u200d\u2060\ufeff]/gu;

/** Whether text shows anything: whitespace and zero-width characters alone are blank. */
export const isBlankText = (text: string): boolean => text.replace(INVISIBLE, '') === '';

/**
 * A person's text (a name, a description) that pages show: no control characters, and at most
 * `max` characters, counted as a reader counts them (code points: an emoji is one). Null when
 * it holds.
 */
export function textProblem(field: string, text: string, options: { max: number; multiline?: boolean }): FieldProblem | null {
  if ((options.multiline ? CONTROL_IN_TEXT : CONTROL_IN_LINE).test(text)) return problem(field, 'must not contain control characters', 'invalid');
  if ([...text].length > options.max) return problem(field, `must be at most ${options.max} characters`, 'too_long', { max: options.max });
  return null;
}

/** A problem with its reason. */
export function problem(path: string, message: string, code: ProblemCode, params?: ProblemReason['params']): FieldProblem {
  return { path, message, reason: params ? { code, params } : { code } };
}

/**
 * What a refinement passes to zod so its refusal keeps its reason:
 * `.refine(check, refusal('needs exactly one of points, percent', 'exactly_one_of', { fields }))`.
 * The English message stays for logs and JSON APIs; pages say the reason in their reader's language.
 */
export function refusal(message: string, code: ProblemCode, params?: ProblemReason['params']): { message: string; params: { reason: ProblemCode; reasonParams?: ProblemReason['params'] } } {
  return { message, params: { reason: code, ...(params && { reasonParams: params }) } };
}

/**
 * A zod issue's reason. A refinement names its own with `params: { reason }` (settings.ts), with
 * the reason's parameters under `reasonParams` (`refusal`); anything unrecognised is `invalid`,
 * which still names the field.
 */
export function reasonOfIssue(issue: z.core.$ZodIssue, input?: unknown): ProblemReason {
  if (input !== undefined && issue.path.length > 0 && valueAt(input, issue.path) === undefined) return { code: 'required' };
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'number' || issue.expected === 'int') return { code: 'whole_number' };
      if (issue.expected === 'boolean') return { code: 'yes_no' };
      if (issue.expected === 'object' || issue.expected === 'record') return { code: 'json_object' };
      return { code: 'wrong_type' };
    case 'too_small':
      if (issue.origin === 'number' || issue.origin === 'int') return { code: 'at_least', params: { min: Number(issue.minimum) } };
      return { code: 'required' };
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int') return { code: 'at_most', params: { max: Number(issue.maximum) } };
      if (issue.origin === 'string') return { code: 'too_long', params: { max: Number(issue.maximum) } };
      return { code: 'too_many_entries', params: { max: Number(issue.maximum) } };
    case 'invalid_value':
      return { code: 'one_of', params: { values: issue.values.map(String) } };
    case 'unrecognized_keys':
      return { code: 'unknown_keys', params: { keys: issue.keys } };
    case 'invalid_format':
      return issue.format === 'regex' ? { code: 'decimal', params: { example: '1.5' } } : issue.format === 'datetime' ? { code: 'date', params: { format: 'YYYY-MM-DDTHH:MM:SSZ' } } : { code: 'invalid' };
    case 'invalid_key':
    case 'invalid_element': {
      // A record's key (a currency code) or a map's element: the inner issue says why.
      const inner = issue.issues[0];
      return inner ? reasonOfIssue({ ...inner, path: [] } as z.core.$ZodIssue) : { code: 'invalid' };
    }
    case 'custom': {
      const named = issue.params as { reason?: ProblemCode; reasonParams?: ProblemReason['params'] } | undefined;
      if (!named?.reason) return { code: 'invalid' };
      return named.reasonParams ? { code: named.reason, params: named.reasonParams } : { code: named.reason };
    }
    default:
      return { code: 'invalid' };
  }
}

/** zod issues as field problems with their reasons (`fieldProblems`, plus `reason`). */
export function reasonedProblems(error: z.ZodError, prefix: readonly string[] = [], input?: unknown): FieldProblem[] {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path.map(String)].join('.'),
    message: input !== undefined && valueAt(input, i.path) === undefined ? 'is required' : i.message,
    reason: reasonOfIssue(i, input),
  }));
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
