import { rolesWith } from '../../domain/roles';
import { formatDate } from '../../i18n/format';
import { mountOf, mountUrl } from '../urls';
import type { AdminPageContext } from './admin-deps';
import { adminContext, adminOf } from './admin-page';
import { QueryReader } from './admin-query';
import { READ_ROLES, type AdminRoute } from './admin-routes';
import { dashboardView } from './dashboard-presenter';

const MANAGE_ACTIONS = rolesWith('manage_actions');

/**
 * `GET /admin`: the program at a glance, for every admin role, with a warning when the panel
 * endpoint answered 410 Gone and panel actions are paused; `POST /admin/panel/resume` sends
 * them again (an audit row in the same transaction).
 */
export function dashboardRoutes({ deps, pages }: AdminPageContext): AdminRoute[] {
  return [
    {
      method: 'get',
      path: '/',
      roles: READ_ROLES,
      handler: async (req, res) => {
        const q = new QueryReader(req);
        const resumed = q.oneOf('notice', ['resumed'] as const) !== undefined;
        q.done();
        const i18n = await pages.i18n(req);
        const mount = mountOf(res);
        const endpoint = await deps.panelEndpoint.status();
        const paused = endpoint.paused
          ? {
              endpoint: endpoint.endpoint,
              at: formatDate(i18n.locale, endpoint.pausedAt, 'UTC'),
              reason: endpoint.reason,
              resumeAction: MANAGE_ACTIONS.includes(adminOf(res).role) ? mountUrl(mount, 'admin/panel/resume') : null,
            }
          : null;
        const view = { ...dashboardView(i18n, await deps.data.dashboard.build(), mount), paused, notice: resumed ? i18n.t('dashboard.panel_resumed') : null };
        await pages.render(req, res, 'admin/dashboard', view, { current: 'dashboard', i18n });
      },
    },
    {
      method: 'post',
      path: '/panel/resume',
      roles: MANAGE_ACTIONS,
      handler: async (req, res) => {
        const ctx = adminContext(req, res);
        await deps.panelEndpoint.resume(
          { kind: 'admin', adminId: ctx.admin.id, role: ctx.admin.role },
          { within: (tx, endpoint) => deps.audit.record(tx, ctx, { action: 'panel.resume', target: endpoint, before: { paused: true }, after: { paused: false } }) },
        );
        res.redirect(303, mountUrl(mountOf(res), 'admin', { notice: 'resumed' }));
      },
    },
  ];
}
