import type { Translator } from '../../i18n';
import { formatInteger } from '../../i18n/format';
import type { FieldProblem, ProblemCode } from '../../domain/validation';

/**
 * A field problem in the admin's language: the reason's `field_error.<code>` string with the
 * field named and the reason's numbers and lists formatted for the locale. The English
 * `message` stays with the problem for logs and JSON APIs; a problem without a reason (a check
 * added later) still names its field, as `invalid`.
 */
export function problemText(i18n: Translator, problem: FieldProblem, field: string): string {
  const reason = problem.reason ?? { code: 'invalid' as const };
  const params: Record<string, string | number> = { field };
  for (const [name, value] of Object.entries(reason.params ?? {})) {
    params[name] = typeof value === 'number' ? formatInteger(i18n.locale, value) : typeof value === 'string' ? value : value.join(', ');
  }
  const counted = COUNTED_BY[reason.code];
  const count = counted && reason.params?.[counted];
  if (typeof count === 'number') params.count = count;
  return i18n.t(`field_error.${reason.code}`, params);
}

/** The param whose number a reason's plural forms go by ("at most 1 character", "64 characters"). */
const COUNTED_BY: Partial<Record<ProblemCode, string>> = {
  too_many_entries: 'max',
  too_long: 'max',
  within_days: 'days',
  id_format: 'max',
  lowercase_id: 'max',
  cell_count: 'cells',
};
