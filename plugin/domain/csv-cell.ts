/**
 * Spreadsheet-safe CSV cells (OWASP "CSV injection"): a cell a spreadsheet would read as a
 * formula (one starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
 * apostrophe, so a member named `=cmd|' /C calc'!A0` stays text. Quoting (RFC 4180) is the CSV
 * library's job; this is only the content rule. Numbers we write ourselves (a negative delta)
 * are not text from anyone and pass as numbers.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** A cell for export: text is neutralised, numbers and absent values pass as they are. */
export function csvCell(value: string | number | bigint | null | undefined | Date): string | number {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return neutraliseCell(value);
}
