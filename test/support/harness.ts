import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { loadConfig, type PluginConfig } from '../../plugin/config';
import { createPlugin, type HostingRewardsPlugin } from '../../plugin/index';
import type { Member } from '../../plugin/domain/member';
import type { ProgramSettings } from '../../plugin/domain/program';
import { createLogger, type Logger } from '../../plugin/logger';
import type { PanelApi } from '../../plugin/panels/panel-api';
import { StandardWebhookSigner } from '../../plugin/lib/standard-webhooks';
import { createTestDatabase, type TestDatabase } from './test-db';

export * from './events';

export const TEST_SECRETS = {
  webhook: `whsec_${Buffer.from('test-webhook-secret-0123456789abcdef').toString('base64')}`,
  sso: 'test-sso-secret-0123456789abcdef0123456789',
  session: 'test-session-secret-0123456789abcdef012345',
};

/** A movable clock: tests step time instead of sleeping. */
export class TestClock {
  constructor(public current = new Date('2026-11-23T12:00:00Z')) {}
  now = (): Date => new Date(this.current.getTime());
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestApp {
  plugin: HostingRewardsPlugin;
  server: http.Server;
  /** Where the plugin answers: the origin plus the mount point (`mountAt`). */
  baseUrl: string;
  /** The server's origin, without the mount point. */
  origin: string;
  /** The mount point, '' at the root. */
  mount: string;
  db: TestDatabase;
  clock: TestClock;
  http: ReturnType<typeof request>;
  /** Signs like a panel: Standard Webhooks headers for this body. */
  sign(id: string, body: string, timestamp?: Date): Record<string, string>;
  /** POSTs a signed event; `body` defaults to JSON.stringify(event). */
  send(event: Record<string, unknown>, options?: { body?: string; headers?: Record<string, string> }): request.Test;
  /** Stops the server and plugin, keeps the database (for restart tests). */
  stop(): Promise<void>;
  /** Stops and drops the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  db?: TestDatabase;
  clock?: TestClock;
  panel?: PluginConfig['panel'];
  /** Use wall-clock time (needed where signatures must be fresh against real time). */
  realTime?: boolean;
  /**
   * Program settings written before the test starts. Defaults to no refund window, so points
   * are available at once unless a test is about pending points.
   */
  program?: ProgramSettings;
  /** The adapter the outbox dispatcher sends to (default: the demo panel's, or none). */
  panelApi?: PanelApi;
  /** Mounts `plugin.router` under this prefix (`'/loyalty'`), as a host app would; default the root. */
  mountAt?: string;
  /** Configuration over the test defaults (e.g. `smtpUrl`; rate limits are off unless a test sets them). */
  config?: Partial<PluginConfig>;
  /** Where the plugin logs (default: nowhere). */
  logger?: Logger;
}

/**
 * The two ways `invoice.paid` is taken, for `describe.each`: the group commit (the default) and
 * one delivery per transaction. Both must decide the same.
 */
export const DELIVERY_PATHS: Array<[string, StartOptions]> = [
  ['with the group commit', {}],
  ['one delivery at a time', { config: { ingestBatchMax: 1 } }],
];

export async function startTestApp(options: StartOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const clock = options.clock ?? new TestClock();
  const config: PluginConfig = {
    ...loadConfig({}),
    databaseUrl: db.url,
    panel: options.panel ?? 'generic',
    eventSource: 'test',
    logLevel: 'silent',
    dbPoolMax: 20,
    // Every test request comes from 127.0.0.1: limits apply where a test asks for them.
    rateLimits: { signInPerIp: 0, signInPerMember: 0, badWebhooksPerIp: 0, redeemPerMember: 0, redeemPerIp: 0 },
    ...options.config,
  };
  const plugin = createPlugin({
    config,
    secrets: TEST_SECRETS,
    logger: options.logger ?? createLogger('silent'),
    clock: options.realTime ? undefined : clock.now,
    panelApi: options.panelApi,
  });
  await plugin.init();
  await plugin.services.program.update(options.program ?? { refund_window_days: 0 });
  const mount = options.mountAt ?? '';
  const app = express();
  if (mount) app.use(mount, plugin.router);
  else app.use(plugin.router);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const baseUrl = `${origin}${mount}`;
  const signer = new StandardWebhookSigner(TEST_SECRETS.webhook);
  const sign = (id: string, body: string, timestamp = new Date()): Record<string, string> => ({ ...signer.headers(id, body, timestamp) });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await plugin.shutdown();
  };
  return {
    plugin,
    server,
    baseUrl,
    origin,
    mount,
    db,
    clock,
    http: request(baseUrl),
    sign,
    send(event, opts = {}) {
      const body = opts.body ?? JSON.stringify(event);
      return request(baseUrl)
        .post('/hooks/events')
        .set({ ...sign(String(event.id), body), ...opts.headers })
        .send(body);
    },
    stop,
    async close() {
      await stop();
      await db.drop();
    },
  };
}

/** Row counts of every table an event writes to: "nothing written" means these don't move. */
const WRITTEN_TABLES = ['loyalty_members', 'loyalty_events', 'loyalty_ledger', 'loyalty_lots', 'loyalty_services', 'loyalty_member_history', 'loyalty_invoices', 'loyalty_service_upgrades', 'loyalty_service_renewals', 'loyalty_streak_bonuses'] as const;

export async function tableCounts(plugin: HostingRewardsPlugin): Promise<Record<(typeof WRITTEN_TABLES)[number], number>> {
  const out = Object.fromEntries(WRITTEN_TABLES.map((t) => [t, 0])) as Record<(typeof WRITTEN_TABLES)[number], number>;
  for (const t of WRITTEN_TABLES) {
    const row = await plugin.db.knex(t).count({ n: '*' }).first();
    out[t] = Number(row?.n ?? 0);
  }
  return out;
}

/** Invariant 2, checked after every scenario. */
export async function expectBalancesConsistent(plugin: HostingRewardsPlugin): Promise<void> {
  expect(await plugin.db.repos.members.findBalanceMismatches()).toEqual([]);
}

/** A member the scenario must have enrolled: the test fails naming the client otherwise. */
export async function memberOf(plugin: HostingRewardsPlugin, clientId: string): Promise<Member> {
  const m = await plugin.db.repos.members.findByPanelClientId(clientId);
  if (!m) throw new Error(`no member ${clientId}`);
  return m;
}

/** The key name of a client's tier now; null for no member or no tier. */
export async function tierNameOf(plugin: HostingRewardsPlugin, clientId: string): Promise<string | null> {
  const m = await plugin.db.repos.members.findByPanelClientId(clientId);
  return (await plugin.services.tiers.config()).tiers.find((t) => t.id === m?.tierId)?.name ?? null;
}

/** Every earning rule switched off again: the next test adds the ones it is about. */
export async function deactivateRules(plugin: HostingRewardsPlugin): Promise<void> {
  for (const r of await plugin.db.repos.rules.all()) if (r.active) await plugin.services.program.setRuleActive(r.id, false);
}
