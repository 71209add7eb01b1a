import type { AdminPageContext } from './admin-deps';
import type { AdminRoute } from './admin-routes';

/** Redemptions: the list and its filters, cancelling a pending one, retrying a failed panel action. */
export function redemptionRoutes(_ctx: AdminPageContext): AdminRoute[] {
  return [];
}
