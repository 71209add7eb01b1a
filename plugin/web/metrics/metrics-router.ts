import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { UnauthorizedError } from '../../errors';
import type { MetricsService } from '../../services/metrics-service';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `GET <mount>/metrics` in Prometheus' text format, for `Authorization: Bearer <METRICS_TOKEN>` only. */
export function metricsRouter(deps: { metrics: MetricsService; token: string }): Router {
  const expected = digest(deps.token);
  const router = Router();
  router.get('/', async (req, res) => {
    const header = req.get('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    // Compared as digests, so the comparison takes the same time whatever the length.
    if (!timingSafeEqual(digest(given), expected)) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new UnauthorizedError('metrics_unauthorized', {
        message: 'Metrics need the bearer token',
        help: 'Send Authorization: Bearer <METRICS_TOKEN>.',
      });
    }
    const { contentType, body } = await deps.metrics.render();
    res.set('Cache-Control', 'no-store').type(contentType).send(body);
  });
  return router;
}
