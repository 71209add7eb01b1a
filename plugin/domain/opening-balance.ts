import { problem as fieldProblem, type FieldProblem, type ProblemCode, type ProblemReason } from './validation';

/**
 * Opening balances imported from another loyalty module: one CSV row per member. The file is
 * parsed by the CSV library (services); this judges each row, so the preview can show every
 * problem before anything is written. Columns (header names, any order, case-insensitive):
 * `panel_client_id` and `points` required; `email`, `name`, `expires_at` (ISO date or instant)
 * and `reference` optional.
 */
export const OPENING_BALANCE_COLUMNS = ['panel_client_id', 'points', 'email', 'name', 'expires_at', 'reference'] as const;
export const REQUIRED_COLUMNS = ['panel_client_id', 'points'] as const;
/** The most points one row may give (a typo guard as much as a type limit). */
export const MAX_OPENING_POINTS = 1_000_000_000;

export interface OpeningBalanceRow {
  /** 1-based line in the file, header included, so a provider finds it in their editor. */
  line: number;
  panelClientId: string;
  points: number;
  email: string | null;
  name: string | null;
  expiresAt: Date | null;
  /** The row's own key in the ledger reference (the file's `reference` column); null: `opening`. */
  reference: string | null;
}

export interface RowProblem extends FieldProblem {
  line: number;
}

export interface JudgedFile {
  rows: OpeningBalanceRow[];
  problems: RowProblem[];
  /** Header problems (missing or unknown columns): nothing can be imported until fixed. */
  fileProblems: FieldProblem[];
}

const CLIENT_ID = /^[A-Za-z0-9._:@-]{1,64}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const REFERENCE = /^[A-Za-z0-9._:-]{1,64}$/;

function parseExpiry(text: string): Date | null {
  if (DATE_ONLY.test(text)) {
    const d = new Date(`${text}T00:00:00Z`);
    return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text ? null : d;
  }
  if (!INSTANT.test(text)) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * Every row judged against the columns and each other. `records` are the CSV library's rows as
 * arrays, the first being the header. A client id may appear once per file: two rows for one
 * member are almost always a bad export, and summing them would hide it.
 */
export function judgeOpeningBalances(records: readonly (readonly string[])[], now: Date): JudgedFile {
  const [header, ...body] = records;
  const fileProblems: FieldProblem[] = [];
  if (!header) return { rows: [], problems: [], fileProblems: [fieldProblem('file', 'is empty', 'empty_file')] };
  const names = header.map((h) => h.trim().toLowerCase().replace(/^\uFEFF/, ''));
  for (const name of names) {
    if (!(OPENING_BALANCE_COLUMNS as readonly string[]).includes(name)) fileProblems.push(fieldProblem(name || '(blank)', `is not a known column (${OPENING_BALANCE_COLUMNS.join(', ')})`, 'unknown_column', { columns: [...OPENING_BALANCE_COLUMNS] }));
  }
  for (const required of REQUIRED_COLUMNS) if (!names.includes(required)) fileProblems.push(fieldProblem(required, 'column is required', 'column_required'));
  if (new Set(names).size !== names.length) fileProblems.push(fieldProblem('header', 'names a column twice', 'column_twice'));
  if (fileProblems.length > 0) return { rows: [], problems: [], fileProblems };
  if (body.length === 0) return { rows: [], problems: [], fileProblems: [fieldProblem('file', 'has no rows under the header', 'no_rows')] };

  const rows: OpeningBalanceRow[] = [];
  const problems: RowProblem[] = [];
  const firstLine = new Map<string, number>();
  body.forEach((record, index) => {
    const line = index + 2;
    const cell = (column: string): string => (record[names.indexOf(column)] ?? '').trim();
    const rowProblems: RowProblem[] = [];
    const problem = (path: string, message: string, code: ProblemCode, params?: ProblemReason['params']) => rowProblems.push({ line, ...fieldProblem(path, message, code, params) });
    if (record.length !== names.length) problem('row', `has ${record.length} cells, the header ${names.length}`, 'cell_count', { cells: record.length, columns: names.length });

    const clientId = cell('panel_client_id');
    if (clientId === '') problem('panel_client_id', 'is required', 'required');
    else if (!CLIENT_ID.test(clientId)) problem('panel_client_id', 'must be 1 to 64 letters, digits or . _ : @ -', 'id_format', { max: 64, symbols: '. _ : @ -' });
    else {
      const seen = firstLine.get(clientId);
      if (seen !== undefined) problem('panel_client_id', `repeats line ${seen}`, 'repeats_line', { line: seen });
      else firstLine.set(clientId, line);
    }

    const pointsText = cell('points');
    let points = 0;
    if (pointsText === '') problem('points', 'is required', 'required');
    else if (!/^-?\d+$/.test(pointsText)) problem('points', 'must be a whole number', 'whole_number');
    else {
      points = Number(pointsText);
      if (points < 0) problem('points', 'must not be negative', 'not_negative');
      else if (points === 0) problem('points', 'must be more than 0', 'at_least', { min: 1 });
      else if (points > MAX_OPENING_POINTS) problem('points', `must be at most ${MAX_OPENING_POINTS}`, 'at_most', { max: MAX_OPENING_POINTS });
    }

    const email = cell('email');
    if (email !== '' && (email.length > 254 || !EMAIL.test(email))) problem('email', 'is not an email address', 'email');
    const name = cell('name');
    if (name.length > 190) problem('name', 'must be at most 190 characters', 'too_long', { max: 190 });

    const expiresText = cell('expires_at');
    let expiresAt: Date | null = null;
    if (expiresText !== '') {
      expiresAt = parseExpiry(expiresText);
      if (!expiresAt) problem('expires_at', 'must be a date (YYYY-MM-DD) or an ISO 8601 instant with a time zone', 'date', { format: 'YYYY-MM-DD' });
      else if (expiresAt <= now) problem('expires_at', 'is in the past', 'in_past');
    }

    const reference = cell('reference');
    if (reference !== '' && !REFERENCE.test(reference)) problem('reference', 'must be 1 to 64 letters, digits or . _ : -', 'id_format', { max: 64, symbols: '. _ : -' });

    if (rowProblems.length > 0) problems.push(...rowProblems);
    else rows.push({ line, panelClientId: clientId, points, email: email || null, name: name || null, expiresAt, reference: reference || null });
  });
  return { rows, problems, fileProblems };
}

/**
 * The ledger reference of an imported row: `import:<reference>:<client id>`, the reference
 * being the row's `reference` column or `opening`. It names the row, not the file: the same
 * row imported again (from the same file, or an edited copy of it) finds its entry and adds
 * nothing. A second, deliberate balance for the same member needs its own reference.
 */
export function openingBalanceReference(row: Pick<OpeningBalanceRow, 'panelClientId' | 'reference'>): string {
  return `import:${row.reference ?? 'opening'}:${row.panelClientId}`;
}
