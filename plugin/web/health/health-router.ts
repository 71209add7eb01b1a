import { Router } from 'express';
import type { Database } from '../../db/database';
import type { Logger } from '../../logger';

/** `GET <mount>/healthz` (mounted there): 200 when the database answers and no migration is pending, else 503 and why. */
export function healthRouter(db: Database, logger: Logger): Router {
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
    res.json({ status: 'ok', database: db.dialect, migrations: 'current' });
  });
  return router;
}
