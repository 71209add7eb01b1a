import type { Request, Response } from 'express';
import { AppError, NotFoundError } from '../../errors';
import type { Translator } from '../../i18n';
import { formatDate, formatInteger, formatMoney } from '../../i18n/format';
import { actionNameIn } from '../../domain/rules';
import { localized } from '../../domain/tiers';
import type { Money } from '../../domain/money';
import { rewardNameOf } from '../../domain/redemption';
import type { MemberDetail } from '../../services/admin-member-service';
import { reasonParams } from '../client/rewards-presenter';
import { mountOf, mountUrl } from '../urls';
import type { AdminPageContext } from './admin-deps';
import { adminContext, adminOf, retryRefused } from './admin-page';
import { idParam, QueryReader } from './admin-query';
import { READ_ROLES, WRITE_ROLES, type AdminRoute } from './admin-routes';
import { newFormKey } from './form-key';

const field = (req: Request, name: string): string => {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};
const when = (i18n: Translator, d: Date) => `${formatDate(i18n.locale, d, 'UTC')} ${d.toISOString().slice(11, 16)}`;
const NOTICES = ['adjusted', 'credited', 'retried'] as const;
type Notice = (typeof NOTICES)[number];

/** A form as the page shows it again: what was typed, the key it carries, and each field's problem. */
interface FormState {
  key: string;
  values: Record<string, string>;
  errors: Record<string, string>;
  refusal?: string;
}

/** Members: the search, a member's page, manual adjustment of points and account credit. */
export function memberRoutes({ deps, pages }: AdminPageContext): AdminRoute[] {
  const memberPage = async (req: Request, res: Response, forms: { adjust?: FormState; credit?: FormState } = {}, status = 200) => {
    const id = idParam(req.params.id);
    const q = new QueryReader(req);
    const ledgerBefore = q.id('ledger_before');
    const notice = q.oneOf<Notice>('notice', NOTICES);
    q.done();
    const detail = await deps.members.detail(id, { ledgerBefore });
    if (!detail) throw new NotFoundError('not_found', { message: `No member ${id}` });
    const i18n = await pages.i18n(req);
    const canWrite = WRITE_ROLES.includes(adminOf(res).role);
    const model = memberModel(detail, i18n, mountOf(res), {
      canWrite,
      notice: notice && i18n.t(`admin.member.notice_${notice}`),
      adjust: forms.adjust ?? { key: newFormKey(), values: { direction: 'add' }, errors: {} },
      credit: forms.credit ?? { key: newFormKey(), values: { currency: detail.member.currency ?? '' }, errors: {} },
      retriable: (a) => deps.redemptions.retriable(a),
    });
    await pages.render(req, res, 'admin/member', model, { current: 'members', status, i18n });
  };

  /** A refusal of the form's fields: the page again, the same key kept, each problem in words. */
  const refusedFields = (err: AppError, i18n: Translator, prefix: 'adjust' | 'credit'): Record<string, string> =>
    Object.fromEntries(err.fields.map((f) => [f.path, i18n.t(`admin.${prefix}.error_${f.path}`)]));

  return [
    {
      method: 'get',
      path: '/members',
      roles: READ_ROLES,
      handler: async (req, res) => {
        const q = new QueryReader(req);
        const term = q.text('q', 254);
        const before = q.id('before');
        q.done();
        const { members, next } = await deps.members.search(term ?? null, before ?? null);
        const i18n = await pages.i18n(req);
        const mount = mountOf(res);
        await pages.render(
          req,
          res,
          'admin/members',
          {
            action: mountUrl(mount, 'admin/members'),
            q: term ?? '',
            rows: members.map((m) => ({
              href: mountUrl(mount, `admin/members/${m.id}`),
              name: m.name ?? '',
              email: m.email ?? '',
              clientId: m.panelClientId,
              available: m.pointsAvailable,
              pending: m.pointsPending,
              status: m.status,
              joined: formatDate(i18n.locale, m.joinedAt, 'UTC'),
            })),
            nextHref: next === null ? null : mountUrl(mount, 'admin/members', { ...(term !== undefined && { q: term }), before: next }),
          },
          { current: 'members', i18n },
        );
      },
    },
    { method: 'get', path: '/members/:id', roles: READ_ROLES, handler: (req, res) => memberPage(req, res) },
    {
      method: 'post',
      path: '/members/:id/adjust',
      roles: WRITE_ROLES,
      handler: async (req, res) => {
        const id = idParam(req.params.id);
        const input = { key: field(req, 'key'), direction: field(req, 'direction'), points: field(req, 'points'), reason: field(req, 'reason'), allowDebt: field(req, 'allow_debt') === '1' };
        const form = (errors: Record<string, string>, refusal?: string): FormState => ({
          key: input.key,
          values: { direction: input.direction, points: input.points, reason: input.reason, allowDebt: input.allowDebt ? '1' : '' },
          errors,
          ...(refusal !== undefined && { refusal }),
        });
        try {
          const result = await deps.members.adjust(adminContext(req, res), id, input);
          if (result.ok) {
            res.redirect(303, mountUrl(mountOf(res), `admin/members/${id}`, { notice: 'adjusted' }));
            return;
          }
          const i18n = await pages.i18n(req);
          await memberPage(req, res, { adjust: form({ points: i18n.t('admin.adjust.error_not_enough', { available: formatInteger(i18n.locale, result.balance) }) }) }, 422);
        } catch (err) {
          if (!(err instanceof AppError) || err.code !== 'validation_failed') throw err;
          await memberPage(req, res, { adjust: form(refusedFields(err, await pages.i18n(req), 'adjust')) }, 422);
        }
      },
    },
    {
      method: 'post',
      path: '/members/:id/credit',
      roles: WRITE_ROLES,
      handler: async (req, res) => {
        const id = idParam(req.params.id);
        const input = { key: field(req, 'key'), amount: field(req, 'amount'), currency: field(req, 'currency'), reason: field(req, 'reason') };
        try {
          await deps.members.credit(adminContext(req, res), id, input);
          res.redirect(303, mountUrl(mountOf(res), `admin/members/${id}`, { notice: 'credited' }));
        } catch (err) {
          if (!(err instanceof AppError) || err.code !== 'validation_failed') throw err;
          const errors = refusedFields(err, await pages.i18n(req), 'credit');
          await memberPage(req, res, { credit: { key: input.key, values: { amount: input.amount, currency: input.currency, reason: input.reason }, errors } }, 422);
        }
      },
    },
    {
      method: 'post',
      path: '/members/:id/actions/:actionId/retry',
      roles: WRITE_ROLES,
      handler: async (req, res) => {
        const id = idParam(req.params.id);
        const result = await deps.redemptions.retryAction(adminContext(req, res), idParam(req.params.actionId), { memberId: id });
        if (!result.ok) throw retryRefused(await pages.i18n(req), result);
        res.redirect(303, mountUrl(mountOf(res), `admin/members/${id}`, { notice: 'retried' }));
      },
    },
  ];
}

function money(i18n: Translator, m: unknown): string {
  const v = m as Partial<Money> | null;
  return v && typeof v.currency === 'string' && typeof v.minor === 'number' ? formatMoney(i18n.locale, { currency: v.currency, minor: v.minor }) : '';
}

/** The member page's view model: the detail in words and numbers, the forms for billing and owners. */
function memberModel(
  d: MemberDetail,
  i18n: Translator,
  mount: string,
  options: { canWrite: boolean; notice?: string; adjust: FormState; credit: FormState; retriable: (a: MemberDetail['actions'][number]) => boolean },
) {
  const m = d.member;
  const languages = [i18n.language];
  const tierName = (id: number | null) => (id === null ? i18n.t('admin.member.no_tier') : (() => {
    const t = d.tiers.find((x) => x.id === id);
    return t ? (localized(t.names, languages) ?? t.name) : `#${id}`;
  })());
  // Reasons keep the tier's key as written when earned.
  const reasonTiers = new Map(d.tiers.map((t) => [t.name, localized(t.names, languages) ?? t.name]));
  const reasonActions = new Map(Object.entries(d.actionNames).map(([rule, name]) => [rule, actionNameIn(name, languages)]));
  const base = `admin/members/${m.id}`;
  return {
    member: {
      id: m.id,
      name: m.name ?? m.panelClientId,
      email: m.email ?? '',
      clientId: m.panelClientId,
      available: m.pointsAvailable,
      pending: m.pointsPending,
      lifetime: m.pointsLifetime,
      tier: tierName(m.tierId),
      status: m.status,
      currency: m.currency ?? '',
      locale: m.locale ?? '',
      joined: formatDate(i18n.locale, m.joinedAt, 'UTC'),
    },
    backHref: mountUrl(mount, 'admin/members'),
    notice: options.notice,
    lots: d.lots.map((l) => ({
      points: l.points,
      remaining: l.remaining,
      pending: l.pending,
      earned: formatDate(i18n.locale, l.earnedAt, 'UTC'),
      available: formatDate(i18n.locale, l.availableAt, 'UTC'),
      expires: l.expiresAt ? formatDate(i18n.locale, l.expiresAt, 'UTC') : null,
    })),
    tierChanges: d.tierChanges.map((c) => ({ at: when(i18n, c.createdAt), from: tierName(c.fromTierId), to: tierName(c.toTierId), reason: c.reason })),
    ledger: d.ledger.entries.map((e) => ({
      at: when(i18n, e.createdAt),
      kind: e.kind,
      delta: e.delta,
      reason: i18n.t(`reason.${e.reasonCode}`, { ...reasonParams(e.reasonParams, i18n, reasonTiers, e.rule === null ? undefined : reasonActions.get(e.rule)), defaultValue: '' }) || e.reasonCode,
      // An admin's own words, shown to admins only (the member reads "adjustment by the program team").
      note: typeof e.reasonParams.reason === 'string' ? e.reasonParams.reason : '',
      reference: e.reference ?? '',
      actor: e.actor,
      balance: e.balanceAfter,
    })),
    olderHref: d.ledger.hasOlder ? mountUrl(mount, base, { ledger_before: d.ledger.entries.at(-1)?.id ?? 0 }) : null,
    redemptions: d.redemptions.map(({ redemption: r, reward }) => ({
      id: r.id,
      reward: rewardNameOf(r, reward, languages),
      points: r.points,
      value: formatMoney(i18n.locale, r.value),
      state: i18n.t(`admin.state.${r.state}`),
      stateCode: r.state,
      created: when(i18n, r.createdAt),
    })),
    redemptionsHref: mountUrl(mount, 'admin/redemptions', { member: m.panelClientId }),
    actions: d.actions.map((a) => ({
      id: a.id,
      action: a.action,
      amount: money(i18n, (a.payload as { amount?: unknown }).amount),
      description: typeof (a.payload as { description?: unknown }).description === 'string' ? (a.payload as { description: string }).description : '',
      state: i18n.t(`admin.state.${a.state}`),
      stateCode: a.state,
      attempts: a.attempts,
      lastError: a.lastError ?? '',
      created: when(i18n, a.createdAt),
      retryAction: options.canWrite && options.retriable(a) ? mountUrl(mount, `${base}/actions/${a.id}/retry`) : null,
    })),
    churn: d.churn && {
      flagged: i18n.t('admin.member.churn_flagged', { date: formatDate(i18n.locale, d.churn.flaggedAt, 'UTC') }),
      reasons: d.churn.reasons.map((r) => Object.entries(r).map(([k, v]) => (k === 'code' ? String(v) : `${k}=${String(v)}`)).join(' ')),
    },
    canWrite: options.canWrite,
    adjust: { ...options.adjust, action: mountUrl(mount, `${base}/adjust`), add: options.adjust.values.direction !== 'remove' },
    credit: { ...options.credit, action: mountUrl(mount, `${base}/credit`) },
  };
}
