import { Router } from 'express';
import { BadRequestError, UnauthorizedError } from '../../errors';
import type { RateLimiter } from '../../db/rate-limits';
import type { AuthService } from '../../services/auth-service';
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
}): Router {
  const router = Router();
  const requireSession = sessionGuard(deps.auth);

  router.get('/sso', rateLimit(deps.limits?.signInPerIp, byIp, 'sign-in attempts from this address'), async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (!token) {
      throw new UnauthorizedError('sso_invalid', { message: 'The token query parameter is missing' });
    }
    const principal = await deps.auth.acceptSsoToken(token);
    // Counted once the token is verified, so nobody can lock a member out with forged ones.
    await enforceRateLimit(deps.limits?.signInPerMember, `client:${principal.clientId}`, 'sign-ins for this member');
    setSessionCookie(req, res, await deps.auth.issueSession(principal));
    res.redirect(303, mountUrl(mountOf(res), 'client/rewards'));
  });

  router.get('/client/rewards', requireSession('client'), async (req, res) => {
    const client = principalOf(res, 'client');
    const before = req.query.before;
    if (before !== undefined && (typeof before !== 'string' || !/^[1-9]\d{0,17}$/.test(before))) {
      throw new BadRequestError('invalid_query', {
        message: 'before must be a ledger entry id',
        fields: [{ path: 'before', message: 'must be a positive integer' }],
      });
    }
    const mount = mountOf(res);
    const { model, i18n } = await deps.rewardsTab.build(client.clientId, {
      sessionLocale: client.locale,
      before: before === undefined ? undefined : Number(before),
      mount,
    });
    res.set('Cache-Control', 'no-store');
    res.type('html').send(deps.views.render('client/rewards', model, { i18n, mount }));
  });

  return router;
}
