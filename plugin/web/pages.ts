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
  { path: '/client/redemptions', title: 'Redeemed rewards', description: "all the member's redemptions, newest first: state, code, and a link to each one's page" },
] as const satisfies readonly PageDefinition[];

export const ADMIN_AREA_PATH = '/admin';

export const ADMIN_PAGES = [
  { key: 'dashboard', path: '/admin', title: 'Dashboard', description: 'the program at a glance: members, points issued and redeemed, liability, panel actions', permission: 'read' },
  { key: 'members', path: '/admin/members', title: 'Members', description: 'look a member up, read their ledger, adjust points or apply credit', permission: 'read' },
  { key: 'redemptions', path: '/admin/redemptions', title: 'Redemptions', description: 'redemptions and the panel actions behind them: retry or cancel', permission: 'read' },
  { key: 'settings', path: '/admin/settings', title: 'Settings', description: 'program settings, tiers, rules and rewards', permission: 'manage_settings' },
  { key: 'export', path: '/admin/export', title: 'Export', description: 'members, ledger and redemptions as CSV', permission: 'export' },
  { key: 'import', path: '/admin/import', title: 'Import', description: 'opening balances from another loyalty module, previewed before import', permission: 'manage_settings' },
  { key: 'audit', path: '/admin/audit', title: 'Audit log', description: 'every admin action, who did it and when', permission: 'read' },
] as const satisfies ReadonlyArray<AdminPageDefinition & { key: string }>;
