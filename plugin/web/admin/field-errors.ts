import type { Translator } from '../../i18n';
import { formatInteger } from '../../i18n/format';
import type { FieldProblem } from '../../domain/validation';

/**
 * A field problem in the admin's language: the reason's `field_error.<code>` string with the
 * field named and the reason's numbers and lists formatted for the locale. The English
 * `message` stays with the problem for logs and JSON APIs; a problem without a reason (a check
 * added later) still names its field, as `invalid`.
 */
export function problemText(i18n: Translator, problem: FieldProblem, field: string): string {
  const reason = problem.reason ?? { code: 'invalid' as const };
  const params: Record<string, string> = { field };
  for (const [name, value] of Object.entries(reason.params ?? {})) {
    params[name] = typeof value === 'number' ? formatInteger(i18n.locale, value) : typeof value === 'string' ? value : value.join(', ');
  }
  return i18n.t(`field_error.${reason.code}`, params);
}
