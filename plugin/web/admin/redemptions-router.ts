import type { Request, Response } from 'express';
import { AppError } from '../../errors';
import { REDEMPTION_STATES, rewardNameOf } from '../../domain/redemption';
import { formatDate, formatInteger, formatMoney } from '../../i18n/format';
import { mountOf, mountUrl } from '../urls';
import type { AdminPageContext } from './admin-deps';
import { adminContext, adminOf, retryRefused } from './admin-page';
import { idParam, QueryReader } from './admin-query';
import { READ_ROLES, WRITE_ROLES, type AdminRoute } from './admin-routes';

const FILTERS = ['state', 'member', 'from', 'to'] as const;
const NOTICES = ['cancelled', 'retried'] as const;

/** Redemptions: the list with its filters, cancelling a pending one, retrying a failed panel action. */
export function redemptionRoutes({ deps, pages }: AdminPageContext): AdminRoute[] {
  const back = (res: Response, notice: (typeof NOTICES)[number]) => res.redirect(303, mountUrl(mountOf(res), 'admin/redemptions', { notice }));

  const list = async (req: Request, res: Response) => {
    const q = new QueryReader(req);
    const filter = { state: q.oneOf('state', REDEMPTION_STATES), panelClientId: q.text('member', 64), from: q.day('from'), to: q.day('to', true) };
    const before = q.id('before');
    const notice = q.oneOf('notice', NOTICES);
    q.done();
    const defined = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
    const { items, next } = await deps.redemptions.page(defined, before ?? null);
    const i18n = await pages.i18n(req);
    const mount = mountOf(res);
    const canWrite = WRITE_ROLES.includes(adminOf(res).role);
    const values = q.values(FILTERS);
    const kept = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
    await pages.render(
      req,
      res,
      'admin/redemptions',
      {
        action: mountUrl(mount, 'admin/redemptions'),
        filters: values,
        states: REDEMPTION_STATES.map((s) => ({ value: s, label: i18n.t(`admin.state.${s}`), selected: s === values.state })),
        notice: notice && i18n.t(`admin.redemptions.${notice}`),
        rows: items.map(({ redemption: r, reward, action }) => ({
          id: r.id,
          memberHref: mountUrl(mount, `admin/members/${r.memberId}`),
          member: r.memberName ?? r.panelClientId,
          clientId: r.panelClientId,
          reward: rewardNameOf(r, reward, [i18n.language]),
          points: formatInteger(i18n.locale, r.points),
          value: formatMoney(i18n.locale, r.value),
          state: i18n.t(`admin.state.${r.state}`),
          stateCode: r.state,
          actionState: action ? i18n.t(`admin.state.${action.state}`) : '',
          lastError: action?.lastError ?? '',
          created: `${formatDate(i18n.locale, r.createdAt, 'UTC')} ${r.createdAt.toISOString().slice(11, 16)}`,
          cancelAction: canWrite && r.state === 'pending' && action?.state === 'pending' && action.attempts === 0 ? mountUrl(mount, `admin/redemptions/${r.id}/cancel`) : null,
          retryAction: canWrite && action !== null && deps.redemptions.retriable(action) ? mountUrl(mount, `admin/redemptions/${r.id}/retry`) : null,
        })),
        nextHref: next === null ? null : mountUrl(mount, 'admin/redemptions', { ...kept, before: next }),
      },
      { current: 'redemptions', i18n },
    );
  };

  return [
    { method: 'get', path: '/redemptions', roles: READ_ROLES, handler: list },
    {
      method: 'post',
      path: '/redemptions/:id/cancel',
      roles: WRITE_ROLES,
      handler: async (req, res) => {
        await deps.redemptions.cancel(adminContext(req, res), idParam(req.params.id));
        back(res, 'cancelled');
      },
    },
    {
      method: 'post',
      path: '/redemptions/:id/retry',
      roles: WRITE_ROLES,
      handler: async (req, res) => {
        const result = await deps.redemptions.retryRedemption(adminContext(req, res), idParam(req.params.id));
        if (!result.ok) throw retryRefused(await pages.i18n(req), result);
        back(res, 'retried');
      },
    },
  ];
}
