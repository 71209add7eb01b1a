import { Router } from 'express';
import type { DashboardService } from '../../services/dashboard-service';
import { mountOf } from '../urls';
import { ANY_ADMIN, sendPage, type AdminPageDeps } from './admin-pages';
import { dashboardView } from './dashboard-presenter';

/** `GET /admin/dashboard`: the program at a glance, for every admin role. */
export function dashboardRouter(deps: AdminPageDeps & { dashboard: DashboardService }): Router {
  const router = Router();
  router.get('/admin/dashboard', deps.requireAdmin(ANY_ADMIN), async (req, res) => {
    const i18n = await deps.i18nFor(req, res);
    sendPage(deps, res, i18n, 200, 'admin/dashboard', dashboardView(i18n, await deps.dashboard.build(), mountOf(res)));
  });
  return router;
}
