/**
 * Writes the parts of README.md and manifest.json that the registries declare: program
 * settings, panel actions, panel adapters and jobs. `npm run docs` rewrites them; `npm run docs --
 * --check` fails when they are out of date (test/unit/docs.test.ts checks the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { hooks } from '../hooks';
import { migrations } from '../migrations';
import { EVENT_TYPES } from '../plugin/domain/billing-event';
import { COMPENSATIONS, PANEL_ACTIONS, PANEL_CAPABILITIES, type PanelActionTable } from '../plugin/domain/panel-actions';
import { ADMIN_ROLES, PERMISSIONS, rolesWith } from '../plugin/domain/roles';
import { MIGRATIONS_TABLE } from '../plugin/db/migration-source';
import { ADMIN_AREA_PATH, ADMIN_PAGES, CLIENT_PAGES, CLIENT_TAB } from '../plugin/web/pages';
import { SETTING_KEYS, SETTINGS } from '../plugin/domain/settings';
import { JOBS } from '../plugin/jobs/registry';
import { PANEL_ADAPTERS } from '../plugin/panels/adapters';

export const README_PATH = path.join(__dirname, '..', 'README.md');
export const MANIFEST_PATH = path.join(__dirname, '..', 'manifest.json');
const PACKAGE_PATH = path.join(__dirname, '..', 'package.json');
const PHP_RECEIVER_PATH = path.join(__dirname, '..', 'integrations', 'generic', 'rewards-actions.php');

/** A table cell: pipes escaped (GFM needs it inside code spans too), one line. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function settingsTable(): string {
  return table(
    ['key', 'default', 'meaning'],
    SETTING_KEYS.map((key) => [`\`${key}\``, `\`${JSON.stringify(SETTINGS[key].default)}\``, SETTINGS[key].description]),
  );
}

/** The payload's fields, as `name` or `name.sub` for nested objects (money). */
function fieldList(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { properties?: object }> };
  const names = Object.entries(json.properties ?? {}).map(([name, sub]) =>
    sub.properties ? `\`${name}\` {${Object.keys(sub.properties).map((k) => `\`${k}\``).join(', ')}}` : `\`${name}\``,
  );
  return names.join(', ');
}

export function panelActionsTable(actions: PanelActionTable = PANEL_ACTIONS): string {
  return table(
    ['action', 'what the panel does', 'panel capability', 'payload', 'when it fails for good'],
    Object.entries(actions).map(([name, d]) => [
      `\`${name}\``,
      d.description,
      `\`${d.capability}\`: ${PANEL_CAPABILITIES[d.capability]}`,
      fieldList(d.payload),
      d.onFailed === null ? 'marked `failed`; nothing to undo' : `marked \`failed\` and \`${d.onFailed}\` runs: ${COMPENSATIONS[d.onFailed]}`,
    ]),
  );
}

interface WireField {
  type?: string | string[];
  format?: string;
  description?: string;
  anyOf?: WireField[];
}

function wireType(f: WireField): string {
  if (f.anyOf) return f.anyOf.map(wireType).join(' or ');
  const t = Array.isArray(f.type) ? f.type.join(' or ') : (f.type ?? 'any');
  return f.format ? `${t} (${f.format})` : t;
}

/**
 * What a receiver of the generic adapter gets for each action: the `data` fields with their
 * types and units (from the action's `wire` schema), and an example body (`toWire(example)`).
 */
export function panelActionsContract(actions: PanelActionTable = PANEL_ACTIONS): string {
  return Object.entries(actions)
    .map(([name, d]) => {
      const json = z.toJSONSchema(d.wire, { io: 'output', unrepresentable: 'any' }) as { properties?: Record<string, WireField>; required?: string[] };
      const rows = Object.entries(json.properties ?? {}).map(([field, f]) => [
        `\`${field}\``,
        wireType(f),
        json.required?.includes(field) ? 'yes' : 'no',
        f.description ?? '',
      ]);
      const key = `example:${name}:1`;
      const body = JSON.stringify({ type: name, idempotency_key: key, data: d.toWire(d.example, key) }, null, 2);
      const failed = d.onFailed === null ? 'it is marked `failed`; nothing to undo' : `it is marked \`failed\` and \`${d.onFailed}\` runs: ${COMPENSATIONS[d.onFailed]}`;
      return [
        `#### \`${name}\``,
        '',
        `${d.description[0]?.toUpperCase() ?? ''}${d.description.slice(1)}. Needs the panel capability \`${d.capability}\`. When it fails for good (or the retry budget runs out), ${failed}.`,
        '',
        table(['`data` field', 'type', 'required', 'meaning'], rows),
        '',
        '```json',
        body,
        '```',
      ].join('\n');
    })
    .join('\n\n');
}

export function panelAdaptersTable(): string {
  return table(
    ['`PANEL`', 'what it is', 'options (plugin config)'],
    Object.entries(PANEL_ADAPTERS).map(([name, d]) => {
      const json = z.toJSONSchema(d.options, { io: 'input' }) as { properties?: Record<string, { description?: string }> };
      const options = Object.entries(json.properties ?? {}).map(([k, v]) => `\`${k}\`${v.description ? `: ${v.description}` : ''}`);
      return [`\`${name}\``, d.description, options.join('; ') || 'none'];
    }),
  );
}

/** One row per declared job: its default schedule (overridable in `job_schedules`), how its runs are keyed, what it does. */
export function jobsTable(): string {
  return table(
    ['job', 'default schedule', 'runs', 'what it does'],
    JOBS.map((j) => [
      `\`${j.name}\``,
      `\`${j.schedule}\``,
      j.cadence.runs,
      j.description,
    ]),
  );
}

/** JSON Schema of what loyalty_settings may hold, each key with its description and default. */
export function settingsJsonSchema(): object {
  const shape = Object.fromEntries(
    SETTING_KEYS.map((k) => [k, SETTINGS[k].schema.optional().meta({ description: SETTINGS[k].description, default: SETTINGS[k].default })]),
  );
  return z.toJSONSchema(z.strictObject(shape), { io: 'input' });
}

/**
 * Everything manifest.json says that some registry declares: package.json (version, license,
 * Node range), the hook registry, migrations/index.ts, the adapters, actions, jobs, settings,
 * pages and roles. The rest of the manifest (id, entry, factory, routes) is written by hand
 * and checked by test/integration/manifest.test.ts.
 */
export function manifestSections(actions: PanelActionTable = PANEL_ACTIONS): Record<string, unknown> {
  const pkg = JSON.parse(readFileSync(PACKAGE_PATH, 'utf8')) as { version: string; license: string; engines: { node: string } };
  return {
    version: pkg.version,
    license: pkg.license,
    engines: { node: pkg.engines.node },
    events: {
      handled: EVENT_TYPES.filter((t) => hooks[t] !== undefined),
      accepted: [...EVENT_TYPES],
    },
    migrations: { table: MIGRATIONS_TABLE, list: migrations.map((m) => m.name) },
    panels: Object.entries(PANEL_ADAPTERS).map(([name, d]) => ({
      name,
      description: d.description,
      options: z.toJSONSchema(d.options, { io: 'input' }),
    })),
    panelActions: Object.entries(actions).map(([name, d]) => ({
      name,
      description: d.description,
      capability: d.capability,
      onFailed: d.onFailed,
      payload: z.toJSONSchema(d.payload, { io: 'input', unrepresentable: 'any' }),
      data: z.toJSONSchema(d.wire, { io: 'output', unrepresentable: 'any' }),
    })),
    settings: settingsJsonSchema(),
    jobs: JOBS.map((j) => ({ name: j.name, schedule: j.schedule, description: j.description })),
    clientArea: { tab: CLIENT_TAB.title, path: CLIENT_TAB.path, sso: CLIENT_TAB.sso, pages: CLIENT_PAGES },
    adminArea: {
      path: ADMIN_AREA_PATH,
      pages: ADMIN_PAGES.map((p) => ({ ...p, roles: rolesWith(p.permission) })),
    },
    roles: Object.entries(ADMIN_ROLES).map(([name, r]) => ({ name, description: r.description, permissions: r.permissions })),
    permissions: Object.entries(PERMISSIONS).map(([name, description]) => ({ name, description })),
  };
}

const README_BLOCKS: Record<string, () => string> = {
  settings: settingsTable,
  'panel-actions': () => panelActionsTable(),
  'panel-actions-contract': () => panelActionsContract(),
  'php-receiver': () => ['```php', readFileSync(PHP_RECEIVER_PATH, 'utf8').trimEnd(), '```'].join('\n'),
  'panel-adapters': panelAdaptersTable,
  jobs: jobsTable,
};

/** README with every `<!-- generated:NAME -->…<!-- /generated:NAME -->` block rewritten. */
export function renderReadme(readme: string): string {
  let out = readme;
  for (const [name, render] of Object.entries(README_BLOCKS)) {
    const open = `<!-- generated:${name} (npm run docs) -->`;
    const close = `<!-- /generated:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`README.md has no ${open} … ${close} block`);
    out = `${out.slice(0, start + open.length)}\n${render()}\n${out.slice(end)}`;
  }
  return out;
}

/** manifest.json with the registry sections replaced, other keys kept in their order. */
export function renderManifest(manifestText: string): string {
  const manifest = JSON.parse(manifestText) as Record<string, unknown>;
  const sections = manifestSections();
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(manifest)) out[key] = Object.hasOwn(sections, key) ? sections[key] : value;
  for (const [key, value] of Object.entries(sections)) if (!Object.hasOwn(out, key)) out[key] = value;
  return `${JSON.stringify(out, null, 2)}\n`;
}

function main(check: boolean): void {
  let stale = false;
  for (const [file, render] of [
    [README_PATH, renderReadme],
    [MANIFEST_PATH, renderManifest],
  ] as const) {
    const current = readFileSync(file, 'utf8');
    const next = render(current);
    if (next === current) continue;
    if (check) {
      stale = true;
      console.error(`${path.basename(file)} is out of date: run npm run docs`);
    } else {
      writeFileSync(file, next);
      console.log(`wrote ${path.basename(file)}`);
    }
  }
  if (stale) process.exit(1);
}

if (require.main === module) main(process.argv.includes('--check'));
