/**
 * An example in-process host: an Express app of its own that mounts the plugin under a
 * prefix, feeds it billing events from its own EventEmitter, runs the plugin's migrations in
 * its own migration step, and runs the plugin's jobs. It knows the plugin only through
 * manifest.json: the entry file and factory it names, required from the built package
 * (`npm run build`), with no deep imports. test/integration/example-host.test.ts drives it.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
// Types only (erased at run time), and from the entry the manifest names.
import type * as Entry from '../../plugin/index';

type PluginModule = typeof Entry;
type Plugin = Entry.HostingRewardsPlugin;

interface Manifest {
  id: string;
  entry: string;
  factory: string;
  migrations: { table: string };
  clientArea: { path: string };
  jobs: Array<{ name: string; schedule: string }>;
}

/** What the host's own code emits on its bus: a canonical billing event (DESIGN §6). */
export const BILLING_EVENT = 'billing-event';

export interface ExampleHost {
  plugin: Plugin;
  manifest: Manifest;
  /** The host's own event bus; the plugin listens on it. */
  bus: EventEmitter;
  /** The host's own origin, and where it mounted the plugin. */
  origin: string;
  prefix: string;
  /** Waits until every event emitted so far has been ingested (or refused). */
  idle(): Promise<void>;
  /** Outcomes of emitted events, in order: what the host logs. */
  outcomes: Array<{ id: unknown; outcome?: string; error?: string }>;
  close(): Promise<void>;
}

export interface HostOptions {
  /** The package root, where manifest.json lives. */
  packageRoot: string;
  databaseUrl: string;
  prefix: string;
  secrets: { webhook: string; sso: string; session: string };
}

/** Loads the plugin as any host would: read the manifest, require its entry, call its factory. */
export function loadPlugin(packageRoot: string): { manifest: Manifest; mod: PluginModule } {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot, 'manifest.json'), 'utf8')) as Manifest;
  const entry = path.join(packageRoot, manifest.entry);
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: build the plugin (npm run build) first`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(entry) as PluginModule;
  if (typeof (mod as unknown as Record<string, unknown>)[manifest.factory] !== 'function') throw new Error(`${manifest.entry} does not export ${manifest.factory}`);
  return { manifest, mod };
}

export async function startExampleHost(options: HostOptions): Promise<ExampleHost> {
  const { manifest, mod } = loadPlugin(options.packageRoot);
  const factory = (mod as unknown as Record<string, typeof mod.createPlugin>)[manifest.factory] as typeof mod.createPlugin;
  const config = { ...mod.loadConfig({ PANEL: 'generic', EVENT_SOURCE: 'host', LOG_LEVEL: 'silent' }), databaseUrl: options.databaseUrl };
  // The host migrates in its own step, with the plugin's migrations and table.
  const plugin = factory({ config, secrets: options.secrets, migrate: false });
  await plugin.db.knex.migrate.latest({ migrationSource: plugin.migrations, tableName: manifest.migrations.table });
  await plugin.init();

  // The host's own bus: whatever in the host bills a client emits canonical events on it.
  const bus = new EventEmitter();
  const pending = new Set<Promise<void>>();
  const outcomes: ExampleHost['outcomes'] = [];
  bus.on(BILLING_EVENT, (event: Record<string, unknown>) => {
    const p = plugin
      .ingest(event, { source: 'host' })
      .then((r) => void outcomes.push({ id: event.id, outcome: r.outcome }))
      .catch((err: unknown) => void outcomes.push({ id: event.id, error: err instanceof mod.AppError ? err.code : String(err) }))
      .finally(() => pending.delete(p));
    pending.add(p);
  });

  const app = express();
  app.get('/', (_req, res) => void res.send('the host app'));
  app.use(options.prefix, plugin.router);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    plugin,
    manifest,
    bus,
    origin,
    prefix: options.prefix,
    outcomes,
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await plugin.shutdown();
    },
  };
}
