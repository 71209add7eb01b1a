import type { Request, RequestHandler, Response } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import { randomBytes } from 'node:crypto';
import { ForbiddenError } from '../errors';
import { SESSION_COOKIE } from './session';
import { cookiePath } from './urls';

const ANON_COOKIE = 'hr_anon';
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
export function createCsrf(secret: string, bindTo: 'session' | 'anon' = 'session'): Csrf {
  const cookie = bindTo === 'session' ? SESSION_COOKIE : ANON_COOKIE;
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: (req) => String(req.cookies?.[cookie] ?? ''),
    cookieName: 'hr_csrf',
    cookieOptions: { sameSite: 'lax', secure: false, httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req) => (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD] as string,
    errorConfig: { statusCode: 403, message: 'invalid csrf token', code: 'csrf_invalid' },
  });

  return {
    token(req, res) {
      const path = cookiePath(res);
      if (bindTo === 'anon' && !req.cookies?.[ANON_COOKIE]) {
        const id = randomBytes(16).toString('hex');
        res.cookie(ANON_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: req.secure, path });
        req.cookies = { ...req.cookies, [ANON_COOKIE]: id };
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
