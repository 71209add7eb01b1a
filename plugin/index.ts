import cookieParser from 'cookie-parser';
import express, { Router } from 'express';
import { hooks } from '../hooks';
import type { PluginConfig } from './config';
import { Database } from './db/database';
import { PluginMigrationSource } from './db/migration-source';
import { ConfigError, NotFoundError } from './errors';
import { OutboxDispatcher, type DispatchResult } from './jobs/outbox-dispatcher';
import { ReleasePendingJob } from './jobs/release-pending-job';
import { DomainEventBus } from './events/domain-events';
import { Translations } from './i18n';
import { createLogger, type Logger } from './logger';
import { createPanelAdapter } from './panels/adapters';
import { DemoPanel } from './panels/demo/demo-panel';
import { DemoPanelApi } from './panels/demo/demo-panel-api';
import type { PanelApi } from './panels/panel-api';
import { PUBLIC_DIR } from './paths';
import { AuthService } from './services/auth-service';
import { EarningService } from './services/earning-service';
import { EventService } from './services/event-service';
import { InvoiceService } from './services/invoice-service';
import { LedgerService } from './services/ledger-service';
import { MemberService } from './services/member-service';
import { ProgramService } from './services/program-service';
import { SettingsService } from './services/settings-service';
import { METHOD_NEEDS, TierDiscountService } from './services/tier-discount-service';
import { TierService } from './services/tier-service';
import { RewardsViewService } from './services/rewards-view-service';
import { clientRouter } from './web/client-router';
import { createCsrf } from './web/csrf';
import { demoRouter } from './web/demo-router';
import { errorHandler } from './web/error-handler';
import { healthRouter } from './web/health-router';
import { securityHeaders } from './web/security';
import { ViewRenderer } from './web/views';
import { webhookRouter } from './web/webhook-router';
import manifest from '../manifest.json';

export interface PluginOptions {
  config: PluginConfig;
  /** Secrets must be resolved by now (the sidecar generates demo ones). */
  secrets: { webhook: string; sso: string; session: string };
  logger?: Logger;
  /** Injected in tests to move time; defaults to the wall clock. */
  clock?: () => Date;
  /** Run migrations in init(); the sidecar does, a host with its own migration step may not. */
  migrate?: boolean;
  /** The adapter outbox actions go to; defaults to the one `config.panel` names (panels/adapters.ts). */
  panelApi?: PanelApi;
}

/**
 * The plugin as one declarative definition: what it offers (router, hooks, migrations, events)
 * and an explicit lifecycle. `init()` migrates and starts services; `shutdown()` releases them.
 */
export interface HostingRewardsPlugin {
  name: string;
  version: string;
  router: Router;
  hooks: typeof hooks;
  migrations: PluginMigrationSource;
  bus: DomainEventBus;
  db: Database;
  jobs: {
    /** Releases pending points past their refund window; safe to run at any time, twice. */
    releasePending(): Promise<{ members: number; points: number }>;
    /** Downgrades members whose grace period below their tier has run out. */
    reviewTiers(): Promise<{ reviewed: number; downgraded: number }>;
    /** Sends due outbox actions to the panel; safe to run at any time, in several instances. */
    dispatchOutbox(): Promise<DispatchResult>;
  };
  services: {
    ledger: LedgerService;
    tiers: TierService;
    events: EventService;
    program: ProgramService;
    settings: SettingsService;
    auth: AuthService;
    rewards: RewardsViewService;
  };
  demo?: DemoPanel;
  init(): Promise<void>;
  shutdown(): Promise<void>;
}

export function createPlugin(options: PluginOptions): HostingRewardsPlugin {
  const { config, secrets } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? (() => new Date());
  const db = Database.connect(config.databaseUrl, { poolMax: config.dbPoolMax, logger });
  const bus = new DomainEventBus();
  const translations = new Translations();
  const views = new ViewRenderer();

  const settings = new SettingsService(db, clock);
  const program = new ProgramService(db, settings, clock);
  const ledger = new LedgerService();
  const members = new MemberService();
  const earning = new EarningService(ledger);
  const tiers = new TierService(db, clock, logger);
  const tierDiscounts = new TierDiscountService(translations);
  tiers.onChange = (repos, member, to, changeId, now) => tierDiscounts.tierChanged(repos, member, to, changeId, now);
  const invoices = new InvoiceService(earning, ledger, tiers);
  const events = new EventService(db, { hooks, members, earning, invoices, ledger, program, tiers, tierDiscounts, bus, clock });
  const auth = new AuthService(db, { sso: secrets.sso, session: secrets.session }, clock);
  const rewards = new RewardsViewService(db, program, ledger, tiers, translations, clock);
  const releasePending = new ReleasePendingJob(db, ledger, clock, logger);
  const adapter = createPanelAdapter(config.panel, config, { webhookSecret: secrets.webhook, clock });
  // The demo panel's seed and page come with its adapter, whatever `panelApi` a test injects.
  const demo =
    adapter instanceof DemoPanelApi
      ? new DemoPanel({ db, events, program, tiers, auth, webhookSecret: secrets.webhook, source: config.eventSource, logger, clock, api: adapter })
      : undefined;
  const panelApi = options.panelApi ?? adapter;
  const dispatchOutbox = new OutboxDispatcher(db, panelApi, clock, logger, { maxAttempts: config.outboxMaxAttempts });

  bus.on('billing-event.processed', (e) => logger.info({ ...e }, 'billing event processed'));
  bus.on('member.enrolled', (e) => logger.info({ ...e }, 'member enrolled'));

  const router = Router();
  router.use(securityHeaders(config.panelOrigin));
  router.use(webhookRouter({ secret: secrets.webhook, source: config.eventSource, events, clock }));
  router.use(healthRouter(db, logger));
  router.use('/assets', express.static(PUBLIC_DIR, { maxAge: '1h', index: false }));
  router.use(cookieParser());
  router.use(clientRouter({ auth, rewards, views }));
  if (demo) {
    const csrf = createCsrf(secrets.session, 'anon');
    router.use(demoRouter({ demo, views, translations, csrf, dispatchOutbox: () => dispatchOutbox.run() }));
  }
  router.use((req) => {
    throw new NotFoundError('not_found', { message: `No route for ${req.method} ${req.path}` });
  });
  router.use(errorHandler({ logger, views, translations }));

  return {
    name: manifest.name,
    version: manifest.version,
    router,
    hooks,
    migrations: new PluginMigrationSource(),
    bus,
    db,
    jobs: { releasePending: () => releasePending.run(), reviewTiers: () => tiers.review(), dispatchOutbox: () => dispatchOutbox.run() },
    services: { ledger, events, program, settings, auth, rewards, tiers },
    demo,
    async init() {
      if (options.migrate !== false) {
        const applied = await db.migrateLatest();
        if (applied.length > 0) logger.info({ applied }, 'migrations applied');
      } else {
        const pending = await db.pendingMigrations();
        if (pending.length > 0) throw new ConfigError(`Migrations pending: ${pending.join(', ')}`, 'Run npm run migrate first.');
      }
      await translations.init();
      views.init();
      await program.init();
      const method = (await program.current()).tierDiscountMethod;
      const needs = METHOD_NEEDS[method];
      if (needs && panelApi && !panelApi.capabilities[needs]) {
        logger.warn({ method, panel: panelApi.name }, `tier_discount_method ${method} needs a panel that supports ${needs}; those actions will fail`);
      }
      await tiers.init();
      await auth.init();
      await demo?.init();
    },
    async shutdown() {
      await db.close();
    },
  };
}

export type { PluginConfig } from './config';
export { loadConfig } from './config';
