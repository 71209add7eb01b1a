import { Router } from 'express';
import type { Database } from '../db/database';

/** `GET /healthz`: 200 when the database answers and no migration is pending, else 503 and why. */
export function healthRouter(db: Database): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    try {
      await db.ping();
    } catch (err) {
      res.status(503).json({ status: 'unavailable', reason: `database unreachable: ${(err as Error).message}` });
      return;
    }
    const pending = await db.pendingMigrations();
    if (pending.length > 0) {
      res.status(503).json({ status: 'unavailable', reason: `migrations pending: ${pending.join(', ')}`, help: 'Run npm run migrate.' });
      return;
    }
    res.json({ status: 'ok', database: db.dialect, migrations: 'current' });
  });
  return router;
}
