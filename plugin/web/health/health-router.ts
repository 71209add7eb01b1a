import { Router } from 'express';
import type { Database } from '../../db/database';
import type { Logger } from '../../logger';
import type { PanelEndpointStatus } from '../../services/panel-endpoint-service';

/**
 * `GET <mount>/healthz` (mounted there): 200 when the database answers and no migration is
 * pending, else 503 and why. A paused panel endpoint (it answered 410 Gone) is 200 with
 * `status: "degraded"` and what to do: this instance serves fine, but panel actions wait, so a
 * load balancer keeps it while a monitor that reads the body alerts.
 */
export function healthRouter(db: Database, logger: Logger, panelEndpoint?: () => Promise<PanelEndpointStatus>): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    let pending: string[];
    try {
      await db.ping();
      pending = await db.pendingMigrations();
    } catch (err) {
      // The driver's message can name hosts and users; it goes to the log, not to the caller.
      logger.error({ err }, 'health check: database unreachable');
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable (see the log)' });
      return;
    }
    if (pending.length > 0) {
      res.status(503).json({ status: 'unavailable', reason: `migrations pending: ${pending.join(', ')}`, help: 'Run npm run migrate.' });
      return;
    }
    const panel = panelEndpoint ? await panelEndpoint() : undefined;
    if (panel?.paused) {
      res.json({
        status: 'degraded',
        database: db.dialect,
        migrations: 'current',
        reason: `panel actions paused: ${panel.endpoint} answered 410 Gone at ${panel.pausedAt.toISOString()}`,
        help: panel.help,
        panel: { name: panel.panel, endpoint: panel.endpoint, paused: true, paused_at: panel.pausedAt.toISOString(), last_answer: panel.reason },
      });
      return;
    }
    res.json({ status: 'ok', database: db.dialect, migrations: 'current' });
  });
  return router;
}
