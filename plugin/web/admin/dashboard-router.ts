import { mountOf } from '../urls';
import type { AdminPageContext } from './admin-deps';
import { READ_ROLES, type AdminRoute } from './admin-routes';
import { dashboardView } from './dashboard-presenter';

/** `GET /admin`: the program at a glance, for every admin role. */
export function dashboardRoutes({ deps, pages }: AdminPageContext): AdminRoute[] {
  return [
    {
      method: 'get',
      path: '/',
      roles: READ_ROLES,
      handler: async (req, res) => {
        const i18n = await pages.i18n(req);
        await pages.render(req, res, 'admin/dashboard', dashboardView(i18n, await deps.data.dashboard.build(), mountOf(res)), { current: 'dashboard', i18n });
      },
    },
  ];
}
