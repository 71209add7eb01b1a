import cookieParser from 'cookie-parser';
import express, { Router, type RequestHandler } from 'express';
import type { Database } from '../db/database';
import type { RateLimiter } from '../db/rate-limits';
import { NotFoundError } from '../errors';
import type { Translations } from '../i18n';
import type { Logger } from '../logger';
import type { DemoPanel } from '../panels/demo/demo-panel';
import { PUBLIC_DIR } from '../paths';
import type { AdminAuthService } from '../services/admin-auth-service';
import type { AuditService } from '../services/audit-service';
import type { AuthService } from '../services/auth-service';
import type { EventService } from '../services/event-service';
import type { RedemptionService } from '../services/redemption-service';
import type { MetricsService } from '../services/metrics-service';
import type { PanelEndpointStatus } from '../services/panel-endpoint-service';
import type { AdminDeps } from './admin/admin-deps';
import { adminRouter } from './admin/admin-router';
import { clientRouter } from './client/client-router';
import { RedeemPresenter } from './client/redeem-presenter';
import { redeemRouter } from './client/redeem-router';
import { RedemptionListPresenter } from './client/redemption-list-presenter';
import { redemptionListRouter } from './client/redemption-list-router';
import type { RewardsTabPresenter } from './client/rewards-presenter';
import { createCsrf } from './csrf';
import { demoRouter } from './demo/demo-router';
import { fallbackErrors, jsonErrors, pageErrors, type ErrorDeps } from './errors';
import { healthRouter } from './health/health-router';
import { metricsRouter } from './metrics/metrics-router';
import { requestLog, type RequestObserver } from './request-log';
import { securityHeaders } from './security';
import { clientSessionOf } from './session';
import { captureMount, mountUrl } from './urls';
import type { ViewRenderer } from './views';
import { webhookRouter } from './webhook/webhook-router';

export interface WebDeps {
  db: Database;
  logger: Logger;
  clock: () => Date;
  views: ViewRenderer;
  translations: Translations;
  secrets: { webhook: string; session: string };
  /** Inbox source name of events arriving by webhook. */
  eventSource: string;
  /** Origin allowed to frame the Rewards tab, and the client area's home for "back" links. */
  panelOrigin?: string;
  /** The program's default language (setting `default_language`): the last choice for a page's language. */
  defaultLanguage?: () => Promise<string>;
  events: EventService;
  auth: AuthService;
  rewardsTab: RewardsTabPresenter;
  redemptions: RedemptionService;
  demo?: DemoPanel;
  dispatchOutbox?: () => Promise<unknown>;
  /** The panel endpoint's pause, shown by /healthz. */
  panelEndpoint?: () => Promise<PanelEndpointStatus>;
  /** Limits per address and member (absent: not limited). */
  limits?: { signInPerIp?: RateLimiter; signInPerMember?: RateLimiter; badWebhooksPerIp?: RateLimiter; redeemPerMember?: RateLimiter; redeemPerIp?: RateLimiter };
  metrics?: MetricsService;
  /** With metrics: the bearer token `GET /metrics` needs; without one, there is no `/metrics`. */
  metricsToken?: string;
  /** The admin area's services (absent: no `/admin`). */
  admin?: Omit<AdminDeps, 'logger' | 'clock' | 'views' | 'translations' | 'sessionSecret' | 'auth' | 'defaultLanguage' | 'signInPerIp'> & {
    adminAuth: AdminAuthService;
    audit: AuditService;
  };
}

const notFound: RequestHandler = (req) => {
  throw new NotFoundError('not_found', { message: `No route for ${req.method} ${req.originalUrl.split('?')[0]}` });
};

/**
 * An area: its routes, then a 404 and an error handler in the area's format. Mounted at a
 * prefix, the area answers everything under it; mounted at the root (pages), unknown paths
 * pass on to the next area.
 */
function area(routes: Router, errors: express.ErrorRequestHandler, options: { claimsUnknown: boolean }): Router {
  const router = Router();
  router.use(routes);
  if (options.claimsUnknown) router.use(notFound);
  router.use(errors);
  return router;
}

/**
 * The plugin's router, one area per audience: webhook and health answer JSON, the client
 * area and the demo panel answer pages. Everything is relative to wherever the host mounts
 * it: links, redirects and cookie paths are built from the mount point.
 */
export function createWebRouter(deps: WebDeps): Router {
  // Back to the panel: its origin when configured; the demo panel is this router's own home page.
  const panelHome = (mount: string): string | null => deps.panelOrigin ?? (deps.demo ? mountUrl(mount, '') : null);
  const errorDeps: ErrorDeps = {
    logger: deps.logger,
    views: deps.views,
    translations: deps.translations,
    panelHome,
    defaultLanguage: deps.defaultLanguage,
    clientLanguage: (client, accepted) => deps.rewardsTab.language(client.clientId, { sessionLocale: client.locale, accepted }),
    clientSession: (req) => clientSessionOf(deps.auth, req),
  };
  const json = jsonErrors(errorDeps);
  const pages = pageErrors(errorDeps);

  const { metrics } = deps;
  const observe: RequestObserver | undefined = metrics
    ? ({ area, status, seconds, outcome }) => {
        if (area === 'hooks') metrics.webhookFinished({ status, seconds, type: outcome.eventType, outcome: outcome.outcome });
      }
    : undefined;

  const router = Router();
  router.use(requestLog(deps.logger, observe));
  router.use(captureMount);
  router.use(securityHeaders(deps.panelOrigin));
  router.use(
    '/hooks',
    area(webhookRouter({ secret: deps.secrets.webhook, source: deps.eventSource, events: deps.events, clock: deps.clock, badSignatures: deps.limits?.badWebhooksPerIp }), json, {
      claimsUnknown: true,
    }),
  );
  router.use('/healthz', area(healthRouter(deps.db, deps.logger, deps.panelEndpoint), json, { claimsUnknown: true }));
  if (deps.metrics && deps.metricsToken) {
    router.use('/metrics', area(metricsRouter({ metrics: deps.metrics, token: deps.metricsToken }), json, { claimsUnknown: true }));
  }
  router.use('/assets', express.static(PUBLIC_DIR, { maxAge: '1h', index: false }));
  router.use(cookieParser());
  if (deps.admin) {
    const admin = adminRouter({
      ...deps.admin,
      logger: deps.logger,
      clock: deps.clock,
      views: deps.views,
      translations: deps.translations,
      sessionSecret: deps.secrets.session,
      auth: deps.auth,
      defaultLanguage: deps.defaultLanguage,
      signInPerIp: deps.limits?.signInPerIp,
    });
    router.use('/admin', area(admin, pageErrors(errorDeps, 'admin'), { claimsUnknown: true }));
  }
  router.use(area(clientRouter({ auth: deps.auth, rewardsTab: deps.rewardsTab, views: deps.views, limits: deps.limits, panelHome }), pages, { claimsUnknown: false }));
  const clientCsrf = createCsrf(deps.secrets.session, 'session');
  const redeem = redeemRouter({ auth: deps.auth, redemptions: deps.redemptions, presenter: new RedeemPresenter(deps.translations), views: deps.views, csrf: clientCsrf, limits: { perMember: deps.limits?.redeemPerMember, perIp: deps.limits?.redeemPerIp }, defaultLanguage: deps.defaultLanguage });
  router.use(area(redeem, pages, { claimsUnknown: false }));
  const redemptionList = redemptionListRouter({ auth: deps.auth, redemptions: deps.redemptions, presenter: new RedemptionListPresenter(deps.translations), views: deps.views, defaultLanguage: deps.defaultLanguage });
  router.use(area(redemptionList, pages, { claimsUnknown: false }));
  if (deps.demo) {
    const csrf = createCsrf(deps.secrets.session, 'anon');
    router.use(area(demoRouter({ demo: deps.demo, views: deps.views, translations: deps.translations, csrf, dispatchOutbox: deps.dispatchOutbox, defaultLanguage: deps.defaultLanguage }), pages, { claimsUnknown: false }));
  }
  router.use(notFound);
  router.use(fallbackErrors(errorDeps));
  return router;
}
