import { Router, type Request, type RequestHandler, type Response } from 'express';
import { BadRequestError, UnauthorizedError } from '../errors';
import { SESSION_LIFETIME_S, type AuthService, type ClientSession } from '../services/auth-service';
import type { RewardsViewService } from '../services/rewards-view-service';
import type { ViewRenderer } from './views';

export const SESSION_COOKIE = 'hr_session';

declare module 'express-serve-static-core' {
  interface Locals {
    client?: ClientSession;
    locale?: string;
  }
}

/** Resolves the client from our session cookie only; anything else is a 401 page. */
export function requireClient(auth: AuthService): RequestHandler {
  return async (req, res, next) => {
    const session = await auth.readSession(req.cookies?.[SESSION_COOKIE]);
    if (!session) {
      throw new UnauthorizedError('session_required', {
        message: 'No client session',
        help: 'Open Rewards from the client area; the panel signs you in with a one-time link.',
      });
    }
    res.locals.client = session;
    res.locals.locale = session.locale;
    next();
  };
}

function setSessionCookie(req: Request, res: Response, value: string): void {
  res.cookie(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: req.secure,
    path: '/',
    maxAge: SESSION_LIFETIME_S * 1000,
  });
}

export function clientRouter(deps: {
  auth: AuthService;
  rewards: RewardsViewService;
  views: ViewRenderer;
}): Router {
  const router = Router();

  router.get('/sso', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (!token) {
      throw new UnauthorizedError('sso_invalid', { message: 'The token query parameter is missing' });
    }
    const session = await deps.auth.acceptSsoToken(token);
    setSessionCookie(req, res, await deps.auth.issueSession(session));
    res.redirect(303, '/client/rewards');
  });

  router.get('/client/rewards', requireClient(deps.auth), async (req, res) => {
    const client = res.locals.client as ClientSession;
    const before = req.query.before;
    if (before !== undefined && (typeof before !== 'string' || !/^[1-9]\d{0,17}$/.test(before))) {
      throw new BadRequestError('invalid_query', {
        message: 'before must be a ledger entry id',
        fields: [{ path: 'before', message: 'must be a positive integer' }],
      });
    }
    const { model, i18n } = await deps.rewards.build(client.clientId, {
      sessionLocale: client.locale,
      before: before === undefined ? undefined : Number(before),
    });
    res.set('Cache-Control', 'no-store');
    res.type('html').send(deps.views.render('client/rewards', model, i18n));
  });

  return router;
}
