import type { Request, RequestHandler, Response } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import { randomBytes } from 'node:crypto';
import { ForbiddenError } from '../errors';
import { ADMIN_SESSION_COOKIE, SESSION_COOKIE, sessionCookiePath } from './session';
import { cookiePath } from './urls';

const ANON_COOKIE = 'hr_anon';
const ADMIN_ANON_COOKIE = 'hr_admin_anon';

/** Per binding: the cookie the token is bound to, the token's own cookie, and where both live. */
const BINDINGS = {
  session: { bound: SESSION_COOKIE, csrf: 'hr_csrf', admin: false },
  anon: { bound: ANON_COOKIE, csrf: 'hr_csrf', admin: false },
  // The admin area's: under `<mount>/admin`, with names of their own so they never shadow the
  // client area's cookies of the same path prefix.
  admin: { bound: ADMIN_SESSION_COOKIE, csrf: 'hr_admin_csrf', admin: true },
  'admin-anon': { bound: ADMIN_ANON_COOKIE, csrf: 'hr_admin_anon_csrf', admin: true },
} as const;
export type CsrfBinding = keyof typeof BINDINGS;
export const CSRF_FIELD = '_csrf';

export interface Csrf {
  token(req: Request, res: Response): string;
  protect: RequestHandler;
}

/**
 * Double-submit CSRF tokens (csrf-csrf), bound to the client session, or, for pages used
 * without one (the demo panel), to an anonymous browser id. A page binds to one of them only:
 * binding the demo form to "the session if any" broke it once a Rewards tab was opened.
 * Its cookies, like the session's, are scoped to the plugin's mount.
 */
export function createCsrf(secret: string, bindTo: CsrfBinding = 'session'): Csrf {
  const binding = BINDINGS[bindTo];
  const cookie = binding.bound;
  const pathOf = (res: Response): string => (binding.admin ? sessionCookiePath(res, 'admin') : cookiePath(res));
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: (req) => String(req.cookies?.[cookie] ?? ''),
    cookieName: binding.csrf,
    cookieOptions: { sameSite: 'lax', secure: false, httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req) => (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD] as string,
    errorConfig: { statusCode: 403, message: 'invalid csrf token', code: 'csrf_invalid' },
  });

  return {
    token(req, res) {
      const path = pathOf(res);
      if ((bindTo === 'anon' || bindTo === 'admin-anon') && !req.cookies?.[cookie]) {
        const id = randomBytes(16).toString('hex');
        res.cookie(cookie, id, { httpOnly: true, sameSite: 'lax', secure: req.secure, path });
        req.cookies = { ...req.cookies, [cookie]: id };
      }
      return generateCsrfToken(req, res, { cookieOptions: { secure: req.secure, path } });
    },
    protect(req, res, next) {
      doubleCsrfProtection(req, res, (err?: unknown) => {
        if (err) {
          next(
            new ForbiddenError('csrf_invalid', {
              message: 'The form token is missing or stale',
              help: 'Reload the page and submit the form again.',
            }),
          );
          return;
        }
        next();
      });
    },
  };
}
