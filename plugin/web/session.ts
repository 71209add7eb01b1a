import type { Request, RequestHandler, Response } from 'express';
import { ForbiddenError, UnauthorizedError } from '../errors';
import {
  ADMIN_SESSION_LIFETIME_S,
  SESSION_LIFETIME_S,
  type AdminRole,
  type AuthService,
  type ClientPrincipal,
  type Principal,
  type PrincipalKind,
  type PrincipalOf,
} from '../services/auth-service';
import { cookiePath, mountOf } from './urls';

export const SESSION_COOKIE = 'hr_session';
/**
 * The admin session has a cookie of its own, scoped to `<mount>/admin`: a client's session
 * never opens the admin area, and signing in as an admin doesn't sign a client out.
 */
export const ADMIN_SESSION_COOKIE = 'hr_admin';
const COOKIES: Record<PrincipalKind, string> = { client: SESSION_COOKIE, admin: ADMIN_SESSION_COOKIE };

declare module 'express-serve-static-core' {
  interface Locals {
    principal?: Principal;
  }
}

const SIGN_IN_HELP: Record<PrincipalKind, string> = {
  client: 'Open Rewards from the client area; the panel signs you in with a one-time link.',
  admin: 'Open the Rewards admin from the billing panel; it signs you in with a one-time link.',
};

/**
 * `requireSession('client')` or, for the admin area, `requireSession('admin', ['billing',
 * 'owner'])`: the principal comes from our session cookie only, never from the query or a
 * form; anything else is a 401 (or a 403 for an admin without the role).
 */
export function sessionGuard(auth: AuthService) {
  function requireSession(kind: 'client'): RequestHandler;
  function requireSession(kind: 'admin', roles: readonly AdminRole[]): RequestHandler;
  function requireSession(kind: PrincipalKind, roles?: readonly AdminRole[]): RequestHandler {
    return async (req, res, next) => {
      const principal = await auth.readSession(req.cookies?.[COOKIES[kind]]);
      if (!principal || principal.kind !== kind) {
        throw new UnauthorizedError('session_required', { message: `No ${kind} session`, help: SIGN_IN_HELP[kind] });
      }
      if (principal.kind === 'admin' && roles && !roles.includes(principal.role)) {
        throw new ForbiddenError('role_forbidden', {
          message: `The ${principal.role} role may not do this`,
          help: `Ask an owner for one of these roles: ${roles.join(', ')}.`,
        });
      }
      res.locals.principal = principal;
      next();
    };
  }
  return requireSession;
}

/**
 * The client session a request carries, where no guard has read it: a path no route answered
 * still belongs to the client who asked, for the language and the way back of its 404 page.
 * Not for deciding what anyone may see.
 */
export async function clientSessionOf(auth: AuthService, req: Request): Promise<ClientPrincipal | null> {
  const principal = await auth.readSession(req.cookies?.[SESSION_COOKIE]);
  return principal?.kind === 'client' ? principal : null;
}

/** The principal `requireSession(kind)` put on this request. */
export function principalOf<K extends PrincipalKind>(res: Response, kind: K): PrincipalOf<K> {
  const principal = res.locals.principal;
  if (!principal || principal.kind !== kind) throw new Error(`requireSession('${kind}') must run before this handler`);
  return principal as PrincipalOf<K>;
}

export function setSessionCookie(req: Request, res: Response, value: string, kind: PrincipalKind = 'client'): void {
  res.cookie(COOKIES[kind], value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: req.secure,
    path: sessionCookiePath(res, kind),
    maxAge: (kind === 'admin' ? ADMIN_SESSION_LIFETIME_S : SESSION_LIFETIME_S) * 1000,
  });
}

export function clearSessionCookie(req: Request, res: Response, kind: PrincipalKind): void {
  res.clearCookie(COOKIES[kind], { httpOnly: true, sameSite: 'lax', secure: req.secure, path: sessionCookiePath(res, kind) });
}

/** The admin cookies live under `<mount>/admin`, the client's under the mount. */
export function sessionCookiePath(res: Response, kind: PrincipalKind): string {
  return kind === 'admin' ? `${mountOf(res)}/admin` : cookiePath(res);
}
