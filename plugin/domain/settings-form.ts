import { z } from 'zod';
import { SETTINGS, SETTING_KEYS, type SettingKey, type Settings, type SettingsInput } from './settings';
import { sameJson } from './json-object';
import { problem, reasonedProblems, type FieldProblem, type ProblemReason } from './validation';

/**
 * The program settings form, generated from the settings registry (domain/settings.ts): one
 * field per setting, its control chosen from the setting's zod schema (as JSON Schema), so a
 * setting added to the registry appears in the admin form with no other change. Values travel
 * as strings (a browser form without JavaScript); `parseSettingsForm` turns them back into
 * setting values and the registry's schemas judge them.
 */
export type SettingControl =
  | { kind: 'boolean' }
  | { kind: 'number'; min?: number; max?: number; nullable: boolean }
  | { kind: 'select'; options: readonly string[]; nullable: boolean }
  | { kind: 'text' }
  /** Objects, records and arrays: edited as JSON text. */
  | { kind: 'json'; nullable: boolean };

export interface SettingField {
  key: SettingKey;
  control: SettingControl;
  /** The registry's description (markdown, English: the README's settings table reads it too). */
  description: string;
}

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
}

function controlFor(schema: z.ZodType): SettingControl {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const variants = json.anyOf ?? [json];
  const nullable = variants.some((v) => v.type === 'null' || (Array.isArray(v.type) && v.type.includes('null')));
  const main = variants.filter((v) => v.type !== 'null');
  const only = main.length === 1 ? main[0] : undefined;
  const type = Array.isArray(only?.type) ? only.type.find((t) => t !== 'null') : only?.type;
  if (only?.enum) return { kind: 'select', options: only.enum.filter((o): o is string => typeof o === 'string'), nullable };
  if (type === 'boolean' && !nullable) return { kind: 'boolean' };
  if ((type === 'integer' || type === 'number') && only) return { kind: 'number', min: only.minimum, max: only.maximum, nullable };
  if (type === 'string' && !nullable) return { kind: 'text' };
  return { kind: 'json', nullable };
}

/** The form's fields, in the registry's order. */
export const SETTING_FIELDS: readonly SettingField[] = SETTING_KEYS.map((key) => ({
  key,
  control: controlFor(SETTINGS[key].schema),
  description: SETTINGS[key].description,
}));

/** A setting's current value as its form field shows it. */
export function formValue(field: SettingField, value: unknown): string {
  switch (field.control.kind) {
    case 'boolean':
      return value === true ? 'true' : 'false';
    case 'number':
    case 'select':
      return value === null || value === undefined ? '' : String(value);
    case 'text':
      return typeof value === 'string' ? value : '';
    case 'json':
      return JSON.stringify(value, null, 2);
  }
}

/**
 * Every setting's text as the form shows it: what an owner starts from, and what a post is
 * compared with (form-edits.ts). The page draws with this too, so the two never differ. Each
 * text is `formValue` of its own setting alone (an instant in `base_rule` is ISO, not a wall
 * time in `time_zone`): a save changing one setting never makes another look changed.
 */
export function settingsFormValues(settings: Settings): Record<string, string> {
  return Object.fromEntries(SETTING_FIELDS.map((field) => [field.key, formValue(field, settings[field.key])]));
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string; reason: ProblemReason };

function fromForm(control: SettingControl, raw: string): Parsed {
  const text = raw.trim();
  switch (control.kind) {
    case 'boolean':
      if (text === 'true' || text === 'false') return { ok: true, value: text === 'true' };
      return { ok: false, message: 'must be true or false', reason: { code: 'yes_no' } };
    case 'number':
      if (text === '') return control.nullable ? { ok: true, value: null } : { ok: false, message: 'is required', reason: { code: 'required' } };
      if (!/^-?\d{1,15}$/.test(text)) return { ok: false, message: 'must be a whole number', reason: { code: 'whole_number' } };
      return { ok: true, value: Number(text) };
    case 'select':
      if (text === '' && control.nullable) return { ok: true, value: null };
      return { ok: true, value: text };
    case 'text':
      return { ok: true, value: text };
    case 'json':
      if (text === '' && control.nullable) return { ok: true, value: null };
      try {
        // JSON.parse keeps a "__proto__" key as data, but a validated copy loses it (zod sets it
        // as the prototype): what was checked and audited would not be what is stored.
        let proto = false;
        const value = JSON.parse(text, (key, v: unknown) => ((proto ||= key === '__proto__'), v)) as unknown;
        if (proto) return { ok: false, message: 'has names that are not allowed: __proto__', reason: { code: 'unknown_keys', params: { keys: ['__proto__'] } } };
        return { ok: true, value };
      } catch {
        return { ok: false, message: 'must be valid JSON', reason: { code: 'json' } };
      }
  }
}

export interface SettingChange {
  key: SettingKey;
  before: unknown;
  after: unknown;
}

export interface ParsedSettingsForm {
  /** The keys whose posted value differs from the current one, valid by their schema. */
  changes: SettingChange[];
  /** Field-level problems, each named by the setting key (and the path inside its value). */
  problems: FieldProblem[];
}

/**
 * The posted form against the current settings. A key the form did not post keeps its value;
 * a posted value equal to the current one is no change. Unknown posted names are ignored (the
 * CSRF token and the like), never stored.
 */
export function parseSettingsForm(body: Readonly<Record<string, unknown>>, current: Settings): ParsedSettingsForm {
  const changes: SettingChange[] = [];
  const problems: FieldProblem[] = [];
  for (const field of SETTING_FIELDS) {
    const raw = body[field.key];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') {
      problems.push(problem(field.key, 'must be given once', 'invalid'));
      continue;
    }
    const parsed = fromForm(field.control, raw);
    if (!parsed.ok) {
      problems.push({ path: field.key, message: parsed.message, reason: parsed.reason });
      continue;
    }
    const checked = SETTINGS[field.key].schema.safeParse(parsed.value);
    if (!checked.success) {
      problems.push(...reasonedProblems(checked.error, [field.key]));
      continue;
    }
    const before = current[field.key];
    if (!sameJson(checked.data, before)) changes.push({ key: field.key, before, after: parsed.value });
  }
  return { changes, problems };
}

/** The changes as a settings write (stored form). */
export function changesAsInput(changes: readonly SettingChange[]): SettingsInput {
  return Object.fromEntries(changes.map((c) => [c.key, c.after])) as SettingsInput;
}

/** The setting key a problem path names (`earn_rates.USD` → `earn_rates`). */
export function problemKey(path: string): string {
  return path.split('.')[0] ?? path;
}
