import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { MANIFEST_PATH, renderManifest } from '../../scripts/docs';
import { loadConfig } from '../../plugin/config';
import { MIGRATIONS_TABLE } from '../../plugin/db/migration-source';
import { PANEL_ACTIONS } from '../../plugin/domain/panel-actions';
import { ADMIN_ROLES, PERMISSIONS } from '../../plugin/domain/roles';
import { SETTING_KEYS, SETTINGS } from '../../plugin/domain/settings';
import { JOBS } from '../../plugin/jobs/registry';
import { PANEL_ADAPTERS } from '../../plugin/panels/adapters';
import { ADMIN_PAGES } from '../../plugin/web/pages';
import { startTestApp, type TestApp } from '../support/harness';

/**
 * manifest.json is the plugin's description for any host: it validates against the schema that
 * ships beside it, and everything it names exists and is what `createPlugin` registers.
 */
const ROOT = path.resolve(__dirname, '../..');
const read = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

interface Manifest {
  id: string;
  name: string;
  version: string;
  license: string;
  engines: { node: string };
  entry: string;
  factory: string;
  routes: Array<{ method: string; path: string; auth: string }>;
  events: { handled: string[]; accepted: string[] };
  migrations: { table: string; list: string[] };
  clientArea: { tab: string; path: string; sso: string; pages: Array<{ path: string }> };
  adminArea: { path: string; pages: Array<{ path: string; permission: string; roles: string[] }> };
  roles: Array<{ name: string; permissions: string[] }>;
  permissions: Array<{ name: string }>;
  jobs: Array<{ name: string; schedule: string }>;
  panels: Array<{ name: string; options: object }>;
  panelActions: Array<{ name: string; payload: object }>;
  settings: { properties: Record<string, unknown> };
}

const manifest = read('manifest.json') as Manifest;

function ajv() {
  const a = new Ajv2020({ allErrors: true, strict: true });
  addFormats(a);
  return a;
}

describe('manifest.json against manifest.schema.json', () => {
  const validate = ajv().compile(read('manifest.schema.json') as object);

  it('is valid', () => {
    const ok = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema has teeth: a manifest without a factory, with an unknown key or a bad path is refused', () => {
    const { factory: _factory, ...noFactory } = manifest;
    expect(validate(noFactory)).toBe(false);
    expect(validate({ ...manifest, extra: true })).toBe(false);
    expect(validate({ ...manifest, clientArea: { ...manifest.clientArea, path: 'client/rewards' } })).toBe(false);
    expect(validate({ ...manifest, jobs: [{ name: 'x', schedule: 'often', description: 'd' }] })).toBe(false);
  });

  it('embeds JSON Schemas that compile, and the settings schema accepts every default', () => {
    const settings = ajv().compile(manifest.settings);
    const defaults = Object.fromEntries(SETTING_KEYS.map((k) => [k, SETTINGS[k].default]));
    expect(settings(defaults) ? [] : settings.errors).toEqual([]);
    expect(settings({ refund_window_days: -1 })).toBe(false);
    expect(settings({ no_such_setting: 1 })).toBe(false);
    for (const p of manifest.panels) expect(() => ajv().compile(p.options)).not.toThrow();
    for (const a of manifest.panelActions) expect(() => ajv().compile(a.payload)).not.toThrow();
  });

  it('is what npm run docs writes (a drift fails the build)', () => {
    const text = fs.readFileSync(MANIFEST_PATH, 'utf8');
    expect(renderManifest(text)).toBe(text);
  });
});

describe('manifest.json names what exists', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('agrees with package.json: version, license, Node range and main entry', () => {
    const pkg = read('package.json') as { version: string; license: string; engines: { node: string }; main: string };
    expect(manifest).toMatchObject({ version: pkg.version, license: pkg.license, engines: { node: pkg.engines.node }, entry: pkg.main });
    expect(app.plugin.version).toBe(manifest.version);
    expect(app.plugin.name).toBe(manifest.id);
  });

  it('its entry file exists (built) and exports the factory', () => {
    const entry = path.join(ROOT, manifest.entry);
    if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run npm run build (npm test does) first`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(entry) as Record<string, unknown>;
    expect(typeof mod[manifest.factory]).toBe('function');
    // The source entry exports the same name.
    expect(fs.readFileSync(path.join(ROOT, 'plugin/index.ts'), 'utf8')).toMatch(new RegExp(`export function ${manifest.factory}\\(`));
  });

  it('events: handled are exactly the plugin’s hooks, accepted every canonical type', () => {
    expect([...manifest.events.handled].sort()).toEqual(Object.keys(app.plugin.hooks).sort());
    expect(manifest.events.handled.every((t) => manifest.events.accepted.includes(t))).toBe(true);
  });

  it('jobs: exactly what plugin.jobs runs, with their default schedules', () => {
    expect(manifest.jobs.map((j) => [j.name, j.schedule])).toEqual(app.plugin.jobs.definitions.map((j) => [j.name, j.schedule]));
    expect(manifest.jobs.map((j) => j.name)).toEqual(JOBS.map((j) => j.name));
  });

  it('migrations: the registered list, every file in migrations/, applied into the named table', async () => {
    const registered = (await app.plugin.migrations.getMigrations()).map((m) => m.name);
    expect(manifest.migrations.list).toEqual(registered);
    const files = fs
      .readdirSync(path.join(ROOT, 'migrations'))
      .filter((f) => /^\d{14}_.*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect([...manifest.migrations.list].sort()).toEqual(files);
    expect(manifest.migrations.table).toBe(MIGRATIONS_TABLE);
    const applied = (await app.plugin.db.knex(manifest.migrations.table).select('name').orderBy('id')).map((r: { name: string }) => r.name);
    expect(applied).toEqual(manifest.migrations.list);
  });

  it('panel adapters: the registry, each a value PANEL accepts; panel actions: the action registry', () => {
    expect(manifest.panels.map((p) => p.name)).toEqual(Object.keys(PANEL_ADAPTERS));
    for (const { name } of manifest.panels) expect(() => loadConfig({ PANEL: name })).not.toThrow();
    expect(manifest.panelActions.map((a) => a.name)).toEqual(Object.keys(PANEL_ACTIONS));
    expect(Object.keys(manifest.settings.properties)).toEqual(SETTING_KEYS);
  });

  it('roles and permissions: the declared ones, and every admin page needs a declared permission', () => {
    expect(manifest.roles.map((r) => r.name)).toEqual(Object.keys(ADMIN_ROLES));
    const permissions = manifest.permissions.map((p) => p.name);
    expect(permissions).toEqual(Object.keys(PERMISSIONS));
    for (const r of manifest.roles) for (const p of r.permissions) expect(permissions).toContain(p);
    expect(manifest.adminArea.pages.map((p) => p.path)).toEqual(ADMIN_PAGES.map((p) => p.path));
    for (const page of manifest.adminArea.pages) {
      expect(permissions).toContain(page.permission);
      expect(page.path.startsWith(manifest.adminArea.path)).toBe(true);
      expect(page.roles).toEqual(manifest.roles.filter((r) => r.permissions.includes(page.permission)).map((r) => r.name));
    }
  });

  it('routes and client pages are served by the plugin’s router (relative to its mount point)', async () => {
    const mounted = await startTestApp({ db: app.db, clock: app.clock, mountAt: '/loyalty' });
    try {
      const paths = [...manifest.routes.map((r) => [r.method, r.path]), ...manifest.clientArea.pages.map((p) => ['GET', p.path]), ['GET', manifest.clientArea.path]];
      for (const [method, p] of paths) {
        const res = method === 'POST' ? await mounted.http.post(String(p)).send('{}') : await mounted.http.get(String(p));
        expect([method, p, res.status]).not.toEqual([method, p, 404]);
        expect(res.body?.error).not.toBe('not_found');
      }
      expect((await mounted.http.get('/healthz').expect(200)).body.status).toBe('ok');
    } finally {
      await mounted.stop();
    }
  });
});
