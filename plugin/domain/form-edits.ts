import { problem, type FieldProblem } from './validation';

/**
 * Edits of a stored thing (a reward, an earning rule, a tier) posted from a form that may have
 * stood open while someone else saved. The form carries, in its hidden `shown` field, its
 * fields' text as it showed them; a save writes only what the editor changed over the row as it
 * is now. Pure: the services run it inside the write's transaction, over the row read (locked)
 * there, so nothing can change between the comparison and the write.
 */

/** The form's field texts as a page shows them and a post sends them back. */
export type FormValues = Readonly<Record<string, string>>;

/**
 * The editor's fields as the form showed them, carried back in its `shown` field: what tells
 * an editor's change from a field someone else changed while the form was open. Null when
 * absent or not a JSON object of strings (a client posting fields directly).
 */
export function shownOf(body: Readonly<Record<string, unknown>>): Record<string, string> | null {
  if (typeof body.shown !== 'string') return null;
  try {
    const shown: unknown = JSON.parse(body.shown);
    if (typeof shown !== 'object' || shown === null || Array.isArray(shown)) return null;
    return Object.values(shown).every((v) => typeof v === 'string') ? (shown as Record<string, string>) : null;
  } catch {
    return null;
  }
}

/**
 * A posted field's text as compared: trimmed, and with a browser's line breaks (a textarea
 * posts CRLF) as the page wrote them, so a multi-line field sent back untouched is no edit.
 */
const comparable = (value: string): string => value.trim().replace(/\r\n?/g, '\n');

/**
 * What a post of an editor changes: the fields whose text differs from what its form showed,
 * to apply over the row as it is now, so a save never reverts what someone else changed
 * meanwhile (a redemption taking stock, another admin's edit). A field changed both here and
 * meanwhile, to different values, is a conflict: refused, with its value now, for the editor
 * to look at and save again. Without `shown`, every posted field of the form is an edit.
 */
export function editsSince(body: Readonly<Record<string, unknown>>, now: FormValues): { edits: Record<string, unknown>; conflicts: FieldProblem[] } {
  const shown = shownOf(body);
  const edits: Record<string, unknown> = {};
  const conflicts: FieldProblem[] = [];
  for (const [name, value] of Object.entries(body)) {
    if (name === 'shown' || !Object.hasOwn(now, name)) continue;
    const text = typeof value === 'string' ? comparable(value) : value;
    const was = shown && Object.hasOwn(shown, name) ? shown[name] : undefined;
    if (was !== undefined && text === comparable(was)) continue;
    edits[name] = value;
    const current = now[name] ?? '';
    if (was !== undefined && comparable(current) !== comparable(was) && comparable(current) !== text) {
      const shownNow = current === '' ? '—' : current;
      conflicts.push(problem(name, `changed to ${shownNow} while the form was open; check it and save again`, 'changed_meanwhile', { now: shownNow }));
    }
  }
  return { edits, conflicts };
}

/**
 * An editor's form drawn again after a refused post: a field the editor changed keeps what they
 * typed, any other shows the row as it is now. Its `shown` keeps, for a field they changed, what
 * it showed them before (so the next save still tells their change from someone else's), unless
 * the refusal was that field changing meanwhile: then they have just been shown its value now.
 * Without a post (a fresh form, a saved one), every field shows, and `shown` holds, the row now.
 */
export function formAfterPost(now: FormValues, posted: Readonly<Record<string, unknown>> | undefined, problems: readonly FieldProblem[]): { value: (name: string) => string; shown: Record<string, string> } {
  const shownBefore = posted ? shownOf(posted) : null;
  const conflicts = new Set(problems.filter((p) => p.reason?.code === 'changed_meanwhile').map((p) => p.path));
  const typed = (name: string): string | undefined => {
    const v = posted?.[name];
    return typeof v === 'string' ? v.trim() : undefined;
  };
  const edited = (name: string): boolean => {
    const v = typed(name);
    if (v === undefined) return false;
    const was = shownBefore && Object.hasOwn(shownBefore, name) ? shownBefore[name] : undefined;
    return was === undefined || comparable(v) !== comparable(was);
  };
  const shown = Object.fromEntries(Object.entries(now).map(([name, value]) => [name, shownBefore && edited(name) && !conflicts.has(name) ? (shownBefore[name] ?? value) : value]));
  return { value: (name) => (edited(name) ? (typed(name) ?? '') : (now[name] ?? '')), shown };
}
