import type { RateLimiter } from '../../db/rate-limits';
import type { Translations } from '../../i18n';
import type { Logger } from '../../logger';
import type { AdminAuthService } from '../../services/admin-auth-service';
import type { AdminMemberService } from '../../services/admin-member-service';
import type { AdminRedemptionService } from '../../services/admin-redemption-service';
import type { AuditService } from '../../services/audit-service';
import type { AuthService } from '../../services/auth-service';
import type { ViewRenderer } from '../views';
import type { AdminPages } from './admin-page';

/** What the admin area's pages may use. Pages needing more add a field here and in web/app.ts. */
export interface AdminDeps {
  logger: Logger;
  clock: () => Date;
  views: ViewRenderer;
  translations: Translations;
  /** Signs the admin session's CSRF tokens. */
  sessionSecret: string;
  auth: AuthService;
  adminAuth: AdminAuthService;
  audit: AuditService;
  members: AdminMemberService;
  redemptions: AdminRedemptionService;
  defaultLanguage?: () => Promise<string>;
  /** Sign-in attempts per address (SSO, password, setup link). */
  signInPerIp?: RateLimiter;
}

/** What each page module gets: the deps, and the renderer that puts pages in the admin layout. */
export interface AdminPageContext {
  deps: AdminDeps;
  pages: AdminPages;
}
