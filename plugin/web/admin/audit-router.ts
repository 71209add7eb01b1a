import { formatDate } from '../../i18n/format';
import { mountOf, mountUrl } from '../urls';
import type { AdminPageContext } from './admin-deps';
import { READ_ROLES, type AdminRoute } from './admin-routes';
import { QueryReader } from './admin-query';

const FILTERS = ['actor', 'action', 'target', 'from', 'to'] as const;

/** JSON of a before/after value for the page (escaped by the template like any text). */
const shown = (value: unknown): string => (value === null || value === undefined ? '' : JSON.stringify(value, null, 1));

/** The audit log: every admin action, newest first, filtered by actor, action, target and day. Read-only. */
export function auditRoutes({ deps, pages }: AdminPageContext): AdminRoute[] {
  return [
    {
      method: 'get',
      path: '/audit',
      roles: READ_ROLES,
      handler: async (req, res) => {
        const q = new QueryReader(req);
        const filter = { actor: q.text('actor', 64), action: q.text('action', 64), target: q.text('target'), from: q.day('from'), to: q.day('to', true) };
        const before = q.id('before');
        q.done();
        const defined = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
        const [{ entries, next }, actions] = await Promise.all([deps.audit.page(defined, before ?? null), deps.audit.actions()]);
        const i18n = await pages.i18n(req);
        const values = q.values(FILTERS);
        const mount = mountOf(res);
        const kept = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
        await pages.render(
          req,
          res,
          'admin/audit',
          {
            filters: values,
            action: mountUrl(mount, 'admin/audit'),
            actions: actions.map((a) => ({ value: a, selected: a === values.action })),
            rows: entries.map((e) => ({
              id: e.id,
              at: `${formatDate(i18n.locale, e.at, 'UTC')} ${e.at.toISOString().slice(11, 19)}`,
              actor: e.actorName === e.actorId ? e.actorId : `${e.actorName} (${e.actorId})`,
              role: e.role,
              action: e.action,
              target: e.target ?? '',
              before: shown(e.before),
              after: shown(e.after),
              ip: e.ip ?? '',
              requestId: e.requestId ?? '',
            })),
            nextHref: next === null ? null : mountUrl(mount, 'admin/audit', { ...kept, before: next }),
          },
          { current: 'audit', i18n },
        );
      },
    },
  ];
}
