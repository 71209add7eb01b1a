import express, { Router } from 'express';
import { ForbiddenError } from '../../errors';
import { createCsrf } from '../csrf';
import { sessionGuard } from '../session';
import type { AdminDeps, AdminPageContext } from './admin-deps';
import { AdminPages } from './admin-page';
import { installRoutes, READ_ROLES, type AdminRoute, type RouteTools } from './admin-routes';
import { auditRoutes } from './audit-router';
import { dashboardRoutes } from './dashboard-router';
import { exportRoutes } from './export-router';
import { importRoutes } from './import-router';
import { programRoutes } from './program-router';
import { memberRoutes } from './members-router';
import { redemptionRoutes } from './redemptions-router';
import { adminSessionRouter } from './session-router';

/**
 * The admin area's pages, one module each, in one list: a module returns its routes as data
 * (`AdminRoute`), and `installRoutes` guards each with its roles and, on a POST, the CSRF check.
 * To add a page: write `<page>-router.ts` exporting `(ctx) => AdminRoute[]`, list it here and
 * add its entry to `ADMIN_PAGES` (web/pages.ts), which the navigation and manifest.json read.
 */
export const ADMIN_PAGE_MODULES: ReadonlyArray<(ctx: AdminPageContext) => readonly AdminRoute[]> = [memberRoutes, redemptionRoutes, auditRoutes, dashboardRoutes, programRoutes, exportRoutes, importRoutes];

/**
 * `<mount>/admin`: the sign-in routes, then every page behind an admin session. The role is
 * checked twice on the server: once for the whole area (any admin session; no POST for a
 * viewer), once per route (its declared roles).
 */
export function adminRouter(deps: AdminDeps): Router {
  const csrf = createCsrf(deps.sessionSecret, 'admin');
  const anonCsrf = createCsrf(deps.sessionSecret, 'admin-anon');
  const pages = new AdminPages(deps.views, deps.translations, csrf, deps.defaultLanguage);
  const requireSession = sessionGuard(deps.auth);
  const tools: RouteTools = { requireAdmin: (roles) => requireSession('admin', roles), csrf };

  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 200 }));
  router.use(adminSessionRouter({ auth: deps.auth, adminAuth: deps.adminAuth, pages, anonCsrf, csrf, signInPerIp: deps.signInPerIp }));
  router.use(tools.requireAdmin(READ_ROLES));
  router.use((req, res, next) => {
    const admin = res.locals.principal;
    if (admin?.kind === 'admin' && admin.role === 'viewer' && !['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      throw new ForbiddenError('role_forbidden', { message: 'The viewer role may not change anything', help: 'Ask an owner for the billing or owner role.' });
    }
    next();
  });
  const ctx: AdminPageContext = { deps, pages };
  for (const module of ADMIN_PAGE_MODULES) installRoutes(router, module(ctx), tools);
  return router;
}
