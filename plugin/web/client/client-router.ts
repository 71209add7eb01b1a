import { Router, type Request } from 'express';
import type { RateLimiter } from '../../db/rate-limits';
import { BadRequestError, UnauthorizedError, type FieldProblem } from '../../errors';
import type { AuthService } from '../../services/auth-service';
import { HISTORY_DAYS, HISTORY_KINDS, type HistoryFilter, type HistoryKind } from '../../services/rewards-query-service';
import { byIp, enforceRateLimit, rateLimit } from '../rate-limit';
import { principalOf, sessionGuard, setSessionCookie } from '../session';
import { mountOf, mountUrl } from '../urls';
import type { ViewRenderer } from '../views';
import type { RewardsTabPresenter } from './rewards-presenter';

/** The client area: `<mount>/sso` signs the panel's client in, `<mount>/client/rewards` is the tab. */
export function clientRouter(deps: {
  auth: AuthService;
  rewardsTab: RewardsTabPresenter;
  views: ViewRenderer;
  /** Sign-in attempts per address, and sign-ins per member. */
  limits?: { signInPerIp?: RateLimiter; signInPerMember?: RateLimiter };
  /** The panel's client area when the SSO token names none (PANEL_ORIGIN, or the demo panel's page). */
  panelHome?: (mount: string) => string | null;
}): Router {
  const router = Router();
  const requireSession = sessionGuard(deps.auth);

  router.get('/sso', rateLimit(deps.limits?.signInPerIp, byIp, 'sign-in attempts from this address'), async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (!token) {
      throw new UnauthorizedError('sso_invalid', { message: 'The token query parameter is missing', detail: { key: 'error.detail.sso_token_missing', params: { parameter: 'token' } } });
    }
    const principal = await deps.auth.acceptSsoToken(token);
    // Counted once the token is verified, so nobody can lock a member out with forged ones.
    await enforceRateLimit(deps.limits?.signInPerMember, `client:${principal.clientId}`, 'sign-ins for this member');
    setSessionCookie(req, res, await deps.auth.issueSession(principal));
    res.redirect(303, mountUrl(mountOf(res), 'client/rewards'));
  });

  router.get('/client/rewards', requireSession('client'), async (req, res) => {
    const client = principalOf(res, 'client');
    const { before, filter } = historyQuery(req);
    const mount = mountOf(res);
    const { model, i18n } = await deps.rewardsTab.build(client.clientId, {
      sessionLocale: client.locale,
      accepted: req.acceptsLanguages(),
      before,
      filter,
      mount,
      backHref: client.returnUrl ?? deps.panelHome?.(mount) ?? null,
    });
    res.set('Cache-Control', 'no-store');
    res.type('html').send(deps.views.render('client/rewards', model, { i18n, mount }));
  });

  return router;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A `YYYY-MM-DD` calendar day as midnight UTC (naming the day, not an instant: the history reads
 * it on the program's clock), or null when it is not a real day or not one of HISTORY_DAYS.
 */
function day(text: string): Date | null {
  if (!DAY.test(text) || text < HISTORY_DAYS.first || text > HISTORY_DAYS.last) return null;
  const d = new Date(`${text}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text ? null : d;
}

/**
 * The history's query parameters: `before` (a ledger entry id), `kind` (earned, spent,
 * expired, adjusted) and `from`/`to` (days, both included). Anything else about them is a 400
 * naming each bad field; an empty value means "not filtered" (what an untouched form sends).
 */
function historyQuery(req: Request): { before?: number; filter: HistoryFilter } {
  const fields: FieldProblem[] = [];
  const one = (name: string): string | undefined => {
    const v = req.query[name];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') {
      fields.push({ path: name, message: 'must be given once' });
      return undefined;
    }
    return v;
  };
  const beforeText = one('before');
  if (beforeText !== undefined && !/^[1-9]\d{0,17}$/.test(beforeText)) fields.push({ path: 'before', message: 'must be a positive integer' });
  const kindText = one('kind');
  const kinds = Object.keys(HISTORY_KINDS);
  if (kindText !== undefined && !kinds.includes(kindText)) fields.push({ path: 'kind', message: `must be one of ${kinds.join(', ')}` });
  const dates: { from?: Date; to?: Date } = {};
  for (const name of ['from', 'to'] as const) {
    const text = one(name);
    if (text === undefined) continue;
    const d = day(text);
    if (d) dates[name] = d;
    else fields.push({ path: name, message: `must be a date written YYYY-MM-DD, from ${HISTORY_DAYS.first} to ${HISTORY_DAYS.last}` });
  }
  if (dates.from && dates.to && dates.to < dates.from) fields.push({ path: 'to', message: 'must not be before from' });
  if (fields.length > 0) {
    throw new BadRequestError('invalid_query', { message: `Invalid history query: ${fields.map((f) => f.path).join(', ')}`, fields });
  }
  return {
    ...(beforeText !== undefined && { before: Number(beforeText) }),
    filter: { ...(kindText !== undefined && { kind: kindText as HistoryKind }), ...dates },
  };
}
