import { Router, type Request, type Response } from 'express';
import type { RateLimiter } from '../../db/rate-limits';
import { AppError, UnauthorizedError } from '../../errors';
import type { AdminAuthService } from '../../services/admin-auth-service';
import type { AdminPrincipal, AuthService } from '../../services/auth-service';
import type { Csrf } from '../csrf';
import { byIp, rateLimit } from '../rate-limit';
import { clearSessionCookie, sessionGuard, setSessionCookie } from '../session';
import { mountOf, mountUrl } from '../urls';
import { adminContext, adminOf, type AdminPages, originOf } from './admin-page';
import { READ_ROLES } from './admin-routes';

const text = (body: unknown, name: string): string => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};

/**
 * Signing in and out of the admin area: the panel's admin SSO link, the owner's password, and
 * the one-time setup link that sets that password. These pages come before any session, so
 * their forms' CSRF tokens are bound to an anonymous browser id (`anonCsrf`).
 */
export function adminSessionRouter(deps: {
  auth: AuthService;
  adminAuth: AdminAuthService;
  pages: AdminPages;
  anonCsrf: Csrf;
  /** The signed-in pages' CSRF: signing out is a form of the admin bar. */
  csrf: Csrf;
  signInPerIp?: RateLimiter;
}): Router {
  const router = Router();
  const perIp = rateLimit(deps.signInPerIp, byIp, 'sign-in attempts from this address');
  const home = (res: Response) => mountUrl(mountOf(res), 'admin');

  const signIn = async (req: Request, res: Response, principal: AdminPrincipal) => {
    setSessionCookie(req, res, await deps.auth.issueSession(principal), 'admin');
    res.redirect(303, home(res));
  };

  router.get('/sso', perIp, async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (!token) {
      throw new UnauthorizedError('sso_invalid', {
        message: 'The token query parameter is missing',
        help: "Open the Rewards admin from the panel's admin area.",
        detail: { key: 'error.detail.sso_token_missing', params: { parameter: 'token' } },
      });
    }
    await signIn(req, res, await deps.adminAuth.signInWithSso(token, originOf(req, res)));
  });

  const loginPage = (req: Request, res: Response, status: number, error?: string) =>
    deps.pages.renderPublic(req, res, 'admin/login', { action: mountUrl(mountOf(res), 'admin/login'), error }, deps.anonCsrf, status);

  router.get('/login', (req, res) => loginPage(req, res, 200));

  router.post('/login', perIp, deps.anonCsrf.protect, async (req, res) => {
    try {
      await signIn(req, res, await deps.adminAuth.signInWithPassword(text(req.body, 'password'), originOf(req, res)));
    } catch (err) {
      if (!(err instanceof AppError) || !['admin_password_wrong', 'admin_password_unset', 'admin_locked'].includes(err.code)) throw err;
      if (err.retryAfterSeconds !== undefined) res.set('Retry-After', String(err.retryAfterSeconds));
      const i18n = await deps.pages.i18n(req);
      await loginPage(req, res, err.status, i18n.t(`admin.login.${err.code}`, { minutes: Math.ceil((err.retryAfterSeconds ?? 60) / 60) }));
    }
  });

  const setupPage = (req: Request, res: Response, token: string, status: number, errors: Record<string, string> = {}) =>
    deps.pages.renderPublic(req, res, 'admin/setup', { action: mountUrl(mountOf(res), 'admin/setup'), token, errors }, deps.anonCsrf, status);

  router.get('/setup', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (!token || !(await deps.adminAuth.setupLinkValid(token))) {
      throw new UnauthorizedError('admin_setup_invalid', { message: 'This setup link is not valid: it was used, replaced by a newer one, or it expired', help: 'Restart the plugin without ADMIN_PASSWORD to print a fresh link, or set ADMIN_PASSWORD.' });
    }
    await setupPage(req, res, token, 200);
  });

  router.post('/setup', perIp, deps.anonCsrf.protect, async (req, res) => {
    const token = text(req.body, 'token');
    try {
      await signIn(req, res, await deps.adminAuth.setUpOwner({ token, password: text(req.body, 'password'), confirm: text(req.body, 'confirm') }, originOf(req, res)));
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'validation_failed') throw err;
      const i18n = await deps.pages.i18n(req);
      const errors = Object.fromEntries(err.fields.map((f) => [f.path, i18n.t(`admin.setup.error_${f.path}`)]));
      await setupPage(req, res, token, 422, errors);
    }
  });

  // A form with a CSRF token, not a link: another site could otherwise sign an admin out (and
  // write an audit row in their name) with an image tag.
  router.post('/logout', sessionGuard(deps.auth)('admin', READ_ROLES), deps.csrf.protect, async (req, res) => {
    const { session } = adminOf(res);
    if (!session) throw new Error('An admin principal read from a session cookie carries its session');
    await deps.adminAuth.signedOut(adminContext(req, res), session);
    clearSessionCookie(req, res, 'admin');
    res.redirect(303, mountUrl(mountOf(res), 'admin/login'));
  });

  return router;
}
