import type { AdminRole } from './actor';

/**
 * What an admin may do, declared once: the admin area's route guards, its navigation and
 * manifest.json `roles`/`permissions` read these. A panel maps its own admin roles onto
 * `AdminRole` in the admin SSO token (DESIGN §7).
 */
export const PERMISSIONS = {
  read: "see members, ledgers, redemptions, panel actions, the audit log and exports",
  adjust_points: 'add or take points from a member, with a reason (an audit row each)',
  apply_credit: "apply account credit in the panel to a member's account",
  manage_actions: 'retry or cancel panel actions, and resume a paused panel endpoint',
  manage_settings: 'change program settings, tiers, rules and rewards, and import history',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ADMIN_ROLES = {
  viewer: { description: 'reads everything, changes nothing', permissions: ['read'] },
  billing: { description: 'a billing admin: adjusts points, applies credit, handles panel actions', permissions: ['read', 'adjust_points', 'apply_credit', 'manage_actions'] },
  owner: { description: 'the program owner: everything, settings included', permissions: ['read', 'adjust_points', 'apply_credit', 'manage_actions', 'manage_settings'] },
} as const satisfies Record<AdminRole, { description: string; permissions: readonly Permission[] }>;

/** The roles holding `permission`, weakest first. */
export function rolesWith(permission: Permission): AdminRole[] {
  return (Object.keys(ADMIN_ROLES) as AdminRole[]).filter((role) => (ADMIN_ROLES[role].permissions as readonly Permission[]).includes(permission));
}
