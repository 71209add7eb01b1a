import type { AdminPageContext } from './admin-deps';
import type { AdminRoute } from './admin-routes';

/** Members: search, a member's page, manual adjustment and account credit. */
export function memberRoutes(_ctx: AdminPageContext): AdminRoute[] {
  return [];
}
