import { rolesWith } from '../../domain/roles';
import type { AdminRole } from '../../services/auth-service';
import { ADMIN_PAGES } from '../pages';

/**
 * The admin area's navigation, from the pages declared once in `ADMIN_PAGES` (web/pages.ts,
 * which manifest.json reads too): each page's link (relative to the mount), its label key and
 * the roles holding its permission. A page a role can't open is not shown to it (the routes
 * check the role again on the server).
 */
export interface AdminNavItem {
  key: string;
  path: string;
  label: string;
  roles: readonly AdminRole[];
}

export const ADMIN_NAV: readonly AdminNavItem[] = ADMIN_PAGES.map((page) => ({
  key: page.key,
  path: page.path.slice(1),
  label: `admin.nav.${page.key}`,
  roles: rolesWith(page.permission),
}));
