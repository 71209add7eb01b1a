import type { Judged } from './catalog-edits';
import { CAP_PERIODS, parseRule, RULE_PARAMS, RULE_TYPES, type CapPeriod, type RuleType, type StoredRule } from './rules';
import { parseWallDateTime, WALL_DATE_TIME_FORMAT, wallDateTimeText } from './time-zone';
import { problem, reasonedProblems, type FieldProblem } from './validation';

/**
 * An earning rule as the admin's form posts it (form strings): its type (when created), switch,
 * params JSON judged by the type's own schema, active window as wall times in the program's
 * time zone, and cap. Pure, so each refusal is tested without a database.
 */
export interface RuleEdit {
  type: RuleType;
  params: Record<string, unknown>;
  active: boolean;
  startsAt: Date | null;
  endsAt: Date | null;
  cap: { points: number; period: CapPeriod } | null;
}

/** The most params text a form may post: far above any real rule, far below a TEXT column. */
export const MAX_PARAMS_CHARS = 16_000;
export const MAX_CAP_POINTS = 1_000_000_000;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim() : undefined);

/** What the form may leave out of an edit, kept as stored (a browser posts every field). */
export interface RuleFormContext {
  timeZone: string;
  /** The rule being edited; none when one is created (its type then comes from the form). */
  current?: StoredRule;
}

/**
 * The form's text for a rule as stored (or the new rule form's, for none): what an editor starts
 * from, and what a post is compared with (form-edits.ts). Params pretty-printed, as typed in.
 */
export function ruleFormValues(rule: StoredRule | null, timeZone: string): Record<string, string> {
  return {
    active: String(rule?.active ?? false),
    params: rule ? JSON.stringify(JSON.parse(rule.params), null, 2) : '{}',
    starts_at: rule?.startsAt ? wallDateTimeText(rule.startsAt, timeZone) : '',
    ends_at: rule?.endsAt ? wallDateTimeText(rule.endsAt, timeZone) : '',
    cap_points: rule && rule.capPoints !== null ? String(rule.capPoints) : '',
    cap_period: rule?.capPeriod ?? '',
  };
}

export function judgeRuleForm(body: Readonly<Record<string, unknown>>, context: RuleFormContext): Judged<RuleEdit> {
  const { current, timeZone } = context;
  const problems: FieldProblem[] = [];

  const typeText = current ? current.type : (str(body.type) ?? '');
  const type = (RULE_TYPES as readonly string[]).includes(typeText) ? (typeText as RuleType) : null;
  if (!type) problems.push(problem(current ? 'params' : 'type', `must be one of ${RULE_TYPES.join(', ')}`, 'one_of', { values: RULE_TYPES }));

  const activeText = str(body.active) ?? (current ? String(current.active) : '');
  if (activeText !== 'true' && activeText !== 'false') problems.push(problem('active', 'must be true or false', 'yes_no'));

  const params = judgeParams(str(body.params) ?? current?.params ?? '', type, problems);

  const instant = (field: 'starts_at' | 'ends_at', stored: Date | null | undefined): Date | null | undefined => {
    const text = str(body[field]);
    if (text === undefined) return stored ?? null;
    if (text === '') return null;
    // Shown back unchanged: the stored instant stands, milliseconds and all.
    if (stored && text === wallDateTimeText(stored, timeZone)) return stored;
    const at = parseWallDateTime(text, timeZone);
    if (at) return at;
    problems.push(problem(field, `must be a date and time (${WALL_DATE_TIME_FORMAT}) in ${timeZone}, or blank`, 'date', { format: WALL_DATE_TIME_FORMAT }));
    return undefined;
  };
  const startsAt = instant('starts_at', current?.startsAt);
  const endsAt = instant('ends_at', current?.endsAt);
  if (startsAt && endsAt && endsAt <= startsAt) problems.push(problem('ends_at', 'must be after starts_at', 'after_start'));
  if (type === 'promo') {
    // A promo runs between two instants (domain/rules/rule.ts).
    if (startsAt === null) problems.push(problem('starts_at', 'a promo needs a start', 'required'));
    if (endsAt === null) problems.push(problem('ends_at', 'a promo needs an end', 'required'));
  }

  const cap = judgeCap(body, current, problems);

  if (problems.length > 0 || !type || params === undefined || startsAt === undefined || endsAt === undefined || cap === undefined) return { ok: false, problems };
  const edit: RuleEdit = { type, params, active: activeText === 'true', startsAt, endsAt, cap };
  // The checks a stored row gets when read, so nothing saved here is refused by the engine later.
  const row = parseRule({ id: current?.id ?? 0, type, params: JSON.stringify(params), active: edit.active, startsAt, endsAt, capPoints: cap?.points ?? null, capPeriod: cap?.period ?? null });
  if (!row.ok) return { ok: false, problems: row.problems.map((p) => problem(fieldOf(p), p, 'invalid')) };
  return { ok: true, value: edit };
}

/** Params as a JSON object the type's schema accepts, each problem under `params.<path>`. */
function judgeParams(text: string, type: RuleType | null, problems: FieldProblem[]): Record<string, unknown> | undefined {
  if (text.length > MAX_PARAMS_CHARS) {
    problems.push(problem('params', `must be at most ${MAX_PARAMS_CHARS} characters`, 'too_long', { max: MAX_PARAMS_CHARS }));
    return undefined;
  }
  if (text === '') {
    problems.push(problem('params', 'is required (a JSON object, {} for none)', 'required'));
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push(problem('params', 'must be valid JSON', 'json'));
    return undefined;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    problems.push(problem('params', 'must be a JSON object', 'json_object'));
    return undefined;
  }
  if (!type) return undefined;
  const parsed = RULE_PARAMS[type].safeParse(json);
  if (!parsed.success) {
    problems.push(...reasonedProblems(parsed.error, ['params'], json));
    return undefined;
  }
  // Stored as written: defaults stay defaults, so a later change of one reaches this rule too.
  return json as Record<string, unknown>;
}

/** Points and period, both or neither (blank: no cap). */
function judgeCap(body: Readonly<Record<string, unknown>>, current: StoredRule | undefined, problems: FieldProblem[]): RuleEdit['cap'] | undefined {
  const pointsText = str(body.cap_points) ?? (current && current.capPoints !== null ? String(current.capPoints) : '');
  const periodText = str(body.cap_period) ?? current?.capPeriod ?? '';
  const before = problems.length;
  let points: number | null = null;
  if (pointsText !== '') {
    if (/^\d{1,10}$/.test(pointsText) && Number(pointsText) >= 1 && Number(pointsText) <= MAX_CAP_POINTS) points = Number(pointsText);
    else problems.push(problem('cap_points', `must be blank (no cap) or a whole number from 1 to ${MAX_CAP_POINTS}`, 'between', { min: 1, max: MAX_CAP_POINTS }));
  }
  let period: CapPeriod | null = null;
  if (periodText !== '') {
    if ((CAP_PERIODS as readonly string[]).includes(periodText)) period = periodText as CapPeriod;
    else problems.push(problem('cap_period', `must be one of ${CAP_PERIODS.join(', ')}`, 'one_of', { values: CAP_PERIODS }));
  }
  if (problems.length > before) return undefined;
  if (points !== null && period === null) problems.push(problem('cap_period', 'is required with a cap', 'required'));
  if (points === null && period !== null) problems.push(problem('cap_points', 'is required with a cap period', 'required'));
  if (problems.length > before) return undefined;
  return points !== null && period !== null ? { points, period } : null;
}

/** The form field a stored-row problem (`ends_at: …`, `params.x: …`) is about. */
function fieldOf(message: string): string {
  const path = message.split(':')[0] ?? '';
  if (path.startsWith('params')) return path;
  if (path.startsWith('cap_')) return path.split(',')[0] ?? 'cap_points';
  if (path.startsWith('starts_at') || path.startsWith('ends_at')) return path.split(',')[0] ?? 'starts_at';
  return 'params';
}
