import type { Router } from 'express';
import { hooks } from '../hooks';
import { hookDispatcher } from '../hooks/hook-context';
import type { PluginConfig } from './config';
import { Database } from './db/database';
import { PluginMigrationSource } from './db/migration-source';
import { createRateLimiter, type RateLimiter } from './db/rate-limits';
import { capabilityOf } from './domain/panel-actions';
import { TIER_DISCOUNT_ACTIONS } from './domain/program';
import { ConfigError, PayloadTooLargeError, ValidationError } from './errors';
import { checkEventInput, MAX_EVENT_BYTES, parseJsonText } from './events/event-input';
import { OutboxDispatcher, type DispatchResult } from './jobs/outbox-dispatcher';
import { ReleasePendingJob } from './jobs/release-pending-job';
import type { JobDefinition } from './jobs/job-definition';
import { JOBS } from './jobs/registry';
import { jobSchedulesCheck, type JobSchedule } from './jobs/schedules';
import { Scheduler, type JobOutcome, type RunOptions } from './jobs/scheduler';
import { Translations } from './i18n';
import { createLogger, type Logger } from './logger';
import { createPanelAdapter, panelAdapterCapabilities } from './panels/adapters';
import { EmailRoutingPanelApi } from './panels/email-routing';
import { SmtpMailer } from './panels/smtp/smtp-mailer';
import { DemoPanel } from './panels/demo/demo-panel';
import { DemoPanelApi } from './panels/demo/demo-panel-api';
import type { PanelApi } from './panels/panel-api';
import { AdminAuthService } from './services/admin-auth-service';
import { AdminMemberService } from './services/admin-member-service';
import { AdminRedemptionService } from './services/admin-redemption-service';
import { AuditService } from './services/audit-service';
import { AuthService } from './services/auth-service';
import { BackfillService } from './services/backfill-service';
import { ChurnService } from './services/churn-service';
import { ClientService } from './services/client-service';
import { CsvExportService } from './services/csv-export-service';
import { DashboardService } from './services/dashboard-service';
import { OpeningBalanceService } from './services/opening-balance-service';
import { ProgramAdminService } from './services/program-admin-service';
import { EarningService } from './services/earning-service';
import { EmailService } from './services/email-service';
import { EventService, type IngestResult } from './services/event-service';
import { PanelEndpointService } from './services/panel-endpoint-service';
import { MetricsService } from './services/metrics-service';
import { InvoiceService } from './services/invoice-service';
import { MemberPreferencesService } from './services/member-preferences-service';
import { DomainEventBus } from './services/domain-event-bus';
import { ProgramService } from './services/program-service';
import { RedemptionService } from './services/redemption-service';
import { ServiceLifecycleService } from './services/service-lifecycle-service';
import { RenewalStreaks } from './services/renewal-streaks';
import { UpgradeInvoices } from './services/upgrade-invoices';
import { SettingsService } from './services/settings-service';
import { TierDiscountService } from './services/tier-discount-service';
import { TierService } from './services/tier-service';
import { RewardsQueryService } from './services/rewards-query-service';
import type { ProgramSnapshot } from './services/use-case-context';
import { createWebRouter } from './web/app';
import { RewardsTabPresenter } from './web/client/rewards-presenter';
import { ViewRenderer } from './web/views';
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
  /**
   * Takes one canonical event (DESIGN §6) from an in-process host: the object, or its JSON
   * text. The same checks and the same exactly-once inbox as `POST /hooks/events`, without
   * the HTTP signature (the host is trusted). Throws `ValidationError` (422, `fields` name
   * what is wrong) or `BadRequestError` (400) before anything is written; a repeated `id` is
   * answered `duplicate` and changes nothing. `source` (default `EVENT_SOURCE`) scopes the ids.
   */
  ingest(event: unknown, options?: { source?: string }): Promise<IngestResult>;
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
    /** Queues failed panel actions again (all, or these outbox ids), except those whose failure was compensated. */
    retryFailedActions(ids?: readonly number[]): Promise<number>;
    /** Sends panel actions again after the endpoint answered 410 Gone and was paused; false if it wasn't paused. */
    resumePanel(): Promise<boolean>;
    /** Runs one declared job once in all instances, and once per period (jobs/scheduler.ts). */
    run(name: string, options?: RunOptions): Promise<JobOutcome>;
    /**
     * Resumes runs an instance left unfinished (it died or was stopped mid-run) once nobody holds
     * their job's lease. The sidecar calls it at start and every minute; a host running the jobs
     * from its own cron should too.
     */
    resumeInterrupted(): Promise<JobOutcome[]>;
    /** The declared jobs (jobs/registry.ts), for a host's own cron. */
    definitions: readonly JobDefinition[];
    /** Each job's cron expression (setting `job_schedules`, else its default) and the program time zone it runs in. */
    schedules(): Promise<JobSchedule[]>;
    /** Starts no new run and stops those in progress at their next checkpoint (`shutdown` does it too); resolves once their leases are released. */
    stop(): Promise<void>;
  };
  services: {
    tiers: TierService;
    events: EventService;
    program: ProgramService;
    settings: SettingsService;
    auth: AuthService;
    /** Prometheus metrics; `GET /metrics` serves them when `METRICS_TOKEN` is set. */
    metrics: MetricsService;
    /** The Rewards view's data (for pages and a JSON API alike). */
    rewards: RewardsQueryService;
    redemptions: RedemptionService;
    /** Members' own choices, e.g. the monthly statement opt-in. */
    members: MemberPreferencesService;
    /** Member emails: rendering and queuing (jobs use it; a host may preview with `render`). */
    emails: EmailService;
    /** Churn-risk flags and their JSON export. */
    churn: ChurnService;
    /** Imports a panel's history of canonical events (`npm run backfill`). */
    backfill: BackfillService;
    /** Where panel actions go and whether that endpoint is paused (410 Gone), for the admin area; `resume()` sends again. */
    panelEndpoint: PanelEndpointService;
    /** The admin audit log: every admin write records its row through it, in its own transaction. */
    audit: AuditService;
    /** Admin sign-in besides SSO: the owner password and the one-time setup link. */
    adminAuth: AdminAuthService;
    /** The admin area's members: search, a member's page, adjustments and account credit (each audited). */
    adminMembers: AdminMemberService;
    /** The admin area's redemptions: the list, cancel, retry a failed panel action (each audited). */
    adminRedemptions: AdminRedemptionService;
  };
  presenters: {
    /** The Rewards tab's view model: the query's data in words, numbers and links. */
    rewardsTab: RewardsTabPresenter;
  };
  demo?: DemoPanel;
  /**
   * After `init()`: makes the one-time link (its path under the mount) that sets the admin
   * owner's password, when neither ADMIN_PASSWORD nor an earlier password exists, else null.
   * Each call replaces the previous link; the sidecar calls it once at start-up and prints it.
   */
  adminSetupPath(): Promise<string | null>;
  /**
   * Loads the translations, page templates and email layouts, and writes nothing: what a
   * command that renders or sends mail needs without starting the plugin (`npm run job`).
   * `init()` does it too.
   */
  load(): Promise<void>;
  init(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The inbox source names `EVENT_SOURCE` allows (config.ts), for `ingest`'s `source`. */
const EVENT_SOURCE_PATTERN = /^[a-z0-9_-]{1,32}$/;

export function createPlugin(options: PluginOptions): HostingRewardsPlugin {
  const { config, secrets } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? (() => new Date());
  const bus = new DomainEventBus();
  const db = Database.connect(config.databaseUrl, { poolMax: config.dbPoolMax, logger, clock, publish: (e) => bus.publish(e) });
  const translations = new Translations();
  const views = new ViewRenderer();

  const settings = new SettingsService(db, clock, { checks: [jobSchedulesCheck(JOBS)] });
  const program = new ProgramService(db, settings, clock);
  const earning = new EarningService();
  const tierDiscounts = new TierDiscountService(translations);
  const emails = new EmailService(translations);
  const tiers = new TierService(db, settings, clock, tierDiscounts, emails, logger);
  const upgrades = new UpgradeInvoices();
  const invoices = new InvoiceService(earning, tiers, tierDiscounts, upgrades);
  const lifecycle = new ServiceLifecycleService(earning, upgrades, new RenewalStreaks(earning));
  const clients = new ClientService(earning);
  const churn = new ChurnService(db, settings);
  const snapshot = async (): Promise<ProgramSnapshot> => {
    const [current, { tiers: tierList, settings: tierSettings }, stored] = await Promise.all([program.current(), tiers.config(), settings.snapshot()]);
    return { program: current, tiers: tierList, tierSettings, emailChannel: stored.email_channel, promoCodeFallback: stored.promo_code_fallback };
  };
  const events = new EventService(db, {
    handle: hookDispatcher(hooks, { earning, invoices, tierDiscounts, lifecycle, clients }),
    snapshot,
    ...(config.ingestBatchMax > 1 && {
      payments: { handle: (tx, payments, s, known, options) => invoices.paidMany(tx, payments, s, known, options), limits: { maxBatch: config.ingestBatchMax, maxInFlight: 2 } },
    }),
    logger,
  });
  const backfill = new BackfillService(db, { source: config.eventSource, snapshot, events, upgrades, clock });
  const auth = new AuthService(db, { sso: secrets.sso, session: secrets.session }, clock, { clockSkewSeconds: config.ssoClockSkewSeconds, panelOrigin: config.panelOrigin });
  const rewards = new RewardsQueryService(db, program, tiers, clock);
  const rewardsTab = new RewardsTabPresenter(rewards, translations);
  const releasePending = new ReleasePendingJob(db, logger);
  const adapter = createPanelAdapter(config.panel, config, { webhookSecret: secrets.webhook, clock });
  // The demo panel's seed and page come with its adapter, whatever `panelApi` a test injects.
  const demo =
    adapter instanceof DemoPanelApi
      ? new DemoPanel({ db, events, program, tiers, auth, webhookSecret: secrets.webhook, source: config.eventSource, logger, clock, api: adapter })
      : undefined;
  // Emails whose channel is smtp leave through our own SMTP; everything else through the panel.
  const mailer = config.smtpUrl === undefined ? undefined : new SmtpMailer({ url: config.smtpUrl, from: config.smtpFrom });
  const panelApi = EmailRoutingPanelApi.wrap(options.panelApi ?? adapter, mailer);
  const members = new MemberPreferencesService(db);
  // What the panel itself can do (not the email routing around it), known even before its API is configured.
  const panelCapabilities = options.panelApi?.capabilities ?? adapter?.capabilities ?? panelAdapterCapabilities(config.panel, config);
  const redemptions = new RedemptionService(db, snapshot, translations, { promoCodes: panelCapabilities.promoCode });
  const dispatchOutbox = new OutboxDispatcher(db, panelApi, clock, logger, {
    maxAttempts: config.outboxMaxAttempts,
    concurrency: config.outboxConcurrency,
    compensations: { reverse_points: (tx, failed) => redemptions.failed(tx, failed) },
    onSent: (tx, sent) => redemptions.applied(tx, sent),
  });
  const panelEndpoint = new PanelEndpointService(
    db,
    panelApi ? { panel: panelApi.name, endpoint: OutboxDispatcher.endpointOf(panelApi) } : null,
    clock,
    logger,
  );
  const metrics = new MetricsService(db);
  const scheduler = new Scheduler(
    db,
    {
      db,
      logger,
      releasePending: (o) => releasePending.run(o),
      reviewTiers: async (o) => tiers.review(await snapshot(), o),
      // Job counts are numbers: a paused endpoint is counted, not flagged.
      dispatchOutbox: async () => {
        const { paused, ...counts } = await dispatchOutbox.run();
        return paused ? { ...counts, paused: 1 } : counts;
      },
      settings: () => settings.snapshot(),
      emails,
      tierStatusesAt: (members, at) => tiers.statusesAt(members, at),
      churn,
    },
    { settings: () => settings.snapshot(), leaseMs: config.jobLeaseSeconds * 1000, onFinished: (outcome, seconds) => metrics.jobFinished({ job: outcome.job, status: outcome.status, seconds }) },
  );
  // Per minute, counted in the database so every instance shares them; 0 turns one off.
  const limiter = (name: string, points: number): RateLimiter | undefined =>
    points > 0 ? createRateLimiter(db.knex, db.dialect, { name, points, durationSeconds: 60 }) : undefined;
  const limits = {
    signInPerIp: limiter('sign-in-ip', config.rateLimits.signInPerIp),
    signInPerMember: limiter('sign-in-member', config.rateLimits.signInPerMember),
    badWebhooksPerIp: limiter('bad-webhook-ip', config.rateLimits.badWebhooksPerIp),
    redeemPerMember: limiter('redeem-member', config.rateLimits.redeemPerMember),
    redeemPerIp: limiter('redeem-ip', config.rateLimits.redeemPerIp),
  };
  const audit = new AuditService(db);
  const adminAuth = new AdminAuthService(db, auth, audit, clock, logger, {
    password: config.adminPassword,
    lockout: config.adminLockout,
  });
  const adminMembers = new AdminMemberService(db, audit, () => program.current(), async () => (await tiers.config()).tiers, churn);
  const adminRedemptions = new AdminRedemptionService(db, audit, snapshot);

  bus.on('billing-event.processed', (e) => logger.info({ ...e }, 'billing event processed'));
  bus.on('member.enrolled', (e) => logger.info({ ...e }, 'member enrolled'));

  const router = createWebRouter({
    db,
    logger,
    clock,
    views,
    translations,
    secrets,
    eventSource: config.eventSource,
    panelOrigin: config.panelOrigin,
    defaultLanguage: async () => (await program.current()).defaultLanguage,
    events,
    auth,
    rewardsTab,
    redemptions,
    demo,
    dispatchOutbox: () => dispatchOutbox.run(),
    panelEndpoint: () => panelEndpoint.status(),
    limits,
    metrics,
    metricsToken: config.metricsToken,
    admin: {
      adminAuth,
      audit,
      panelEndpoint,
      members: adminMembers,
      redemptions: adminRedemptions,
      data: {
        dashboard: new DashboardService(db, settings, clock),
        program: new ProgramAdminService(db, settings, program, tiers, audit),
        exports: new CsvExportService(db, async () => (await program.current()).defaultLanguage),
        balances: new OpeningBalanceService(db, program, audit, clock),
        timeZone: async () => (await settings.snapshot()).time_zone,
      },
    },
  });

  const load = async () => {
    await translations.init();
    views.init();
    emails.init();
  };
  return {
    name: manifest.id,
    version: manifest.version,
    router,
    async ingest(input, ingestOptions = {}) {
      const source = ingestOptions.source ?? config.eventSource;
      if (!EVENT_SOURCE_PATTERN.test(source)) throw new ValidationError([{ path: 'source', message: 'must be 1–32 characters of a-z, 0-9, _ or -' }]);
      // Through JSON, as the webhook gets it: the inbox stores and hashes exactly that.
      let text: string;
      try {
        text = typeof input === 'string' ? input : JSON.stringify(input);
      } catch (err) {
        throw new ValidationError([{ path: 'body', message: `is not serialisable as JSON: ${(err as Error).message}` }]);
      }
      // The webhook's limit: the inbox keeps the text.
      if (Buffer.byteLength(text ?? '') > MAX_EVENT_BYTES) throw new PayloadTooLargeError(MAX_EVENT_BYTES);
      const { event, json } = checkEventInput(parseJsonText(text ?? ''), clock());
      return events.ingest(source, event, json);
    },
    hooks,
    migrations: new PluginMigrationSource(),
    bus,
    db,
    jobs: {
      releasePending: () => releasePending.run(),
      reviewTiers: async () => tiers.review(await snapshot()),
      dispatchOutbox: () => dispatchOutbox.run(),
      retryFailedActions: (ids) => dispatchOutbox.retryFailed(ids ?? null),
      resumePanel: () => panelEndpoint.resume(),
      run: (name, runOptions) => scheduler.run(name, runOptions),
      resumeInterrupted: () => scheduler.resumeInterrupted(),
      definitions: scheduler.jobs,
      schedules: () => scheduler.schedules(),
      stop: () => scheduler.stop(),
    },
    services: { events, program, settings, auth, rewards, redemptions, tiers, members, emails, metrics, churn, panelEndpoint, audit, adminAuth, adminMembers, adminRedemptions, backfill },
    presenters: { rewardsTab },
    demo,
    async adminSetupPath() {
      const token = await adminAuth.newSetupToken();
      return token === null ? null : `/admin/setup?token=${token}`;
    },
    load,
    async init() {
      if (options.migrate !== false) {
        const applied = await db.migrateLatest();
        if (applied.length > 0) logger.info({ applied }, 'migrations applied');
      } else {
        const pending = await db.pendingMigrations();
        if (pending.length > 0) throw new ConfigError(`Migrations pending: ${pending.join(', ')}`, 'Run npm run migrate first.');
      }
      await load();
      await program.init();
      const channel = (await settings.snapshot()).email_channel;
      if (channel === 'smtp' && !mailer) logger.warn({ channel }, 'email_channel is smtp but SMTP_URL is not set; member emails wait in the outbox');
      if (channel === 'panel' && panelApi && !panelApi.capabilities.email) logger.warn({ channel, panel: panelApi.name }, 'email_channel is panel but the panel cannot send email; those emails will fail');
      const language = (await program.current()).defaultLanguage;
      if (!translations.supports(language)) logger.warn({ default_language: language }, `default_language ${language} has no locale file; pages fall back to English`);
      const method = (await program.current()).tierDiscountMethod;
      const action = TIER_DISCOUNT_ACTIONS[method];
      const needs = action && capabilityOf(action);
      if (needs && panelApi && !panelApi.capabilities[needs]) {
        logger.warn({ method, panel: panelApi.name }, `tier_discount_method ${method} needs a panel that supports ${needs}; those actions will fail`);
      }
      await tiers.init();
      await auth.init();
      await adminAuth.init();
      await demo?.init();
    },
    /** Waits for job runs in progress (their leases are released as they end), then closes the pool. */
    async shutdown() {
      await scheduler.stop();
      mailer?.close();
      await db.close();
    },
  };
}

export type { PluginConfig } from './config';
export { loadConfig } from './config';

// What an in-process host needs, from the package entry alone (manifest.json `entry`): no
// deep imports into dist/. README "Running inside a Node app" shows them in use.
export type { IngestResult } from './services/event-service';
export type { PanelEndpointStatus } from './services/panel-endpoint-service';
export type { BillingEvent } from './domain/billing-event';
export type { JobDefinition } from './jobs/job-definition';
export type { JobOutcome, RunOptions } from './jobs/scheduler';
export type { DispatchResult } from './jobs/outbox-dispatcher';
export type { PanelApi, PanelActionCall, PanelResult } from './panels/panel-api';
export type { Logger } from './logger';
/** The canonical event contract (DESIGN §6): parse and check one event without ingesting it. */
export { parseCanonicalEvent, EVENT_ID_PATTERN, EVENT_TYPES } from './events/canonical-event';
/** The migrations, for a host that runs its own migration step (`createPlugin({ migrate: false })`). */
export { migrations } from '../migrations';
export { PluginMigrationSource, MIGRATIONS_TABLE, migratorConfig } from './db/migration-source';
/** The declared jobs (names, default schedules, periods), for a host's own cron. */
export { JOBS } from './jobs/registry';
/** Errors a host may catch from `ingest` and the services: each has `status`, `code`, `help` and `fields`. */
export { AppError, ValidationError, BadRequestError, ConflictError, PanelError } from './errors';
/** Signs a canonical event (or anything) as Standard Webhooks, as a panel does towards `POST /hooks/events`. */
export { StandardWebhookSigner } from './lib/standard-webhooks';
/** Where manifest.json lists what the plugin offers. */
export { manifest };
