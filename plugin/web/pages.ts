import type { Permission } from '../domain/roles';

/**
 * The pages a host links to, by path relative to where it mounts the router, declared once:
 * manifest.json `clientArea`/`adminArea` are generated from these (npm run docs), and the admin
 * area's router and navigation read `ADMIN_PAGES` for their paths and required permission.
 */
export interface PageDefinition {
  /** Relative to the mount point, with a leading slash. */
  readonly path: string;
  readonly title: string;
  readonly description: string;
}

export interface AdminPageDefinition extends PageDefinition {
  readonly permission: Permission;
}

export const CLIENT_TAB = {
  path: '/client/rewards',
  title: 'Rewards',
  description: "the client's Rewards tab: balance, tier, history, expiring points, and the catalog to redeem from",
  /** The panel sends the browser here with a fresh SSO token (DESIGN §7). */
  sso: '/sso?token=<JWT>',
} as const;

export const CLIENT_PAGES = [
  { path: '/client/rewards', title: 'Rewards', description: 'balance, tier, progress, history and expiring points' },
  { path: '/client/rewards/redeem', title: 'Redeem', description: 'the catalog of rewards the member can redeem points for' },
] as const satisfies readonly PageDefinition[];

export const ADMIN_AREA_PATH = '/admin';

export const ADMIN_PAGES = [
  { path: '/admin', title: 'Dashboard', description: 'the program at a glance: members, points issued and redeemed, panel actions', permission: 'read' },
  { path: '/admin/members', title: 'Members', description: "look a member up, read their ledger, adjust points or apply credit", permission: 'read' },
  { path: '/admin/redemptions', title: 'Redemptions', description: 'redemptions and the panel actions behind them: retry or cancel', permission: 'read' },
  { path: '/admin/settings', title: 'Settings', description: 'program settings, tiers, rules and rewards', permission: 'manage_settings' },
  { path: '/admin/audit', title: 'Audit log', description: 'every admin action, who did it and when', permission: 'read' },
  { path: '/admin/export', title: 'Export', description: 'members, ledger and redemptions as CSV', permission: 'read' },
] as const satisfies readonly AdminPageDefinition[];
