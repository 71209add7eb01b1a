import type { AdminRole } from '../../services/auth-service';
import { OWNER_ONLY, READ_ROLES } from './admin-routes';

/**
 * The admin area's navigation, declared once: each page's link (relative to the mount), its
 * label key and who sees it. A page a role can't open is not shown to it (the routes check
 * the role again on the server). Pages of the admin area: add their entry here.
 */
export interface AdminNavItem {
  key: string;
  path: string;
  label: string;
  roles: readonly AdminRole[];
}

export const ADMIN_NAV: readonly AdminNavItem[] = [
  { key: 'dashboard', path: 'admin', label: 'admin.nav.dashboard', roles: READ_ROLES },
  { key: 'members', path: 'admin/members', label: 'admin.nav.members', roles: READ_ROLES },
  { key: 'redemptions', path: 'admin/redemptions', label: 'admin.nav.redemptions', roles: READ_ROLES },
  { key: 'settings', path: 'admin/settings', label: 'admin.nav.settings', roles: OWNER_ONLY },
  { key: 'export', path: 'admin/export', label: 'admin.nav.export', roles: READ_ROLES },
  { key: 'import', path: 'admin/import', label: 'admin.nav.import', roles: OWNER_ONLY },
  { key: 'audit', path: 'admin/audit', label: 'admin.nav.audit', roles: READ_ROLES },
];
