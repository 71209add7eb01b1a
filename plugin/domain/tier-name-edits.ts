import type { Judged } from './catalog-edits';
import type { Tier } from './tiers';
import { isBlankText, problem, textProblem, type FieldProblem } from './validation';

/** As long as a tier name may be: it heads the Rewards tab's tier card and fits a table cell. */
export const MAX_TIER_NAME = 64;
/** The language every tier must have a name in: `localized` ends its fallback there. */
export const REQUIRED_NAME_LANGUAGE = 'en';

/** The form field of a tier's name in one language. */
export const tierNameField = (language: string) => `name_${language}`;

/**
 * A tier's displayed name per language, from the fields `name_<language>` of the languages the
 * pages speak: English required, another left blank falls back (to the program's default
 * language, then English). A field not posted keeps its name, and names in languages without a
 * locale file (written by the provider) are kept as they are. The tier's `name`, its key for
 * promos and the panel's client groups, is never changed here.
 */
export function judgeTierNames(body: Readonly<Record<string, unknown>>, tier: Pick<Tier, 'names'>, languages: readonly string[]): Judged<Record<string, string>> {
  const problems: FieldProblem[] = [];
  const posted = new Map<string, string>();
  for (const language of languages) {
    const field = tierNameField(language);
    const value = body[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      problems.push(problem(field, 'must be a single value', 'wrong_type'));
      continue;
    }
    const name = isBlankText(value) ? '' : value.trim();
    const bad = textProblem(field, name, { max: MAX_TIER_NAME });
    if (bad) problems.push(bad);
    else if (name === '' && language === REQUIRED_NAME_LANGUAGE) problems.push(problem(field, 'is required', 'required'));
    else posted.set(language, name);
  }
  if (problems.length > 0) return { ok: false, problems };
  // The stored order first, so an unchanged form compares equal to what is stored.
  const names: Record<string, string> = {};
  for (const [language, name] of Object.entries(tier.names)) {
    const now = posted.has(language) ? posted.get(language) : name;
    if (now) names[language] = now;
  }
  for (const [language, name] of posted) if (name && !(language in names)) names[language] = name;
  return { ok: true, value: names };
}
