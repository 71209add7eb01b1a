import type { Request, RequestHandler, Response, Router } from 'express';
import { ADMIN_ROLES, type AdminRole } from '../../services/auth-service';
import type { Csrf } from '../csrf';

/** Every role may read; only these may change anything (a viewer can't post anything). */
export const READ_ROLES: readonly AdminRole[] = ADMIN_ROLES;
export const WRITE_ROLES: readonly AdminRole[] = ['billing', 'owner'];
export const OWNER_ONLY: readonly AdminRole[] = ['owner'];

/**
 * One admin route, declared as data: its method, path (relative to `/admin`), the roles that
 * may use it, and its handler. `installRoutes` puts the session and role check first, and on a
 * POST the CSRF check, so no route can forget them; the security tests enumerate the router.
 */
export interface AdminRoute {
  method: 'get' | 'post';
  path: string;
  roles: readonly AdminRole[];
  /** Runs after the session and role check and before the CSRF check (a multipart parser, say). */
  before?: readonly RequestHandler[];
  handler: (req: Request, res: Response) => Promise<void> | void;
}

export interface RouteTools {
  requireAdmin: (roles: readonly AdminRole[]) => RequestHandler;
  csrf: Csrf;
}

export function installRoutes(router: Router, routes: readonly AdminRoute[], tools: RouteTools): Router {
  for (const route of routes) {
    if (route.method === 'post' && route.roles.includes('viewer')) {
      throw new Error(`Admin route POST ${route.path} lets viewers write: a viewer can't post anything`);
    }
    const chain: RequestHandler[] = [tools.requireAdmin(route.roles), ...(route.before ?? [])];
    if (route.method === 'post') chain.push(tools.csrf.protect);
    router[route.method](route.path, ...chain, async (req, res) => {
      await route.handler(req, res);
    });
  }
  return router;
}
