import type { Request, Response } from 'express';
import type { AdminContext } from '../../domain/audit';
import { AppError } from '../../errors';
import type { Translations, Translator } from '../../i18n';
import { formatInteger } from '../../i18n/format';
import type { RetryResult } from '../../services/admin-redemption-service';
import { identityOf } from '../../services/admin-auth-service';
import type { AdminPrincipal } from '../../services/auth-service';
import type { Csrf } from '../csrf';
import { principalOf } from '../session';
import { mountOf, mountUrl } from '../urls';
import type { ViewRenderer } from '../views';
import { ADMIN_NAV } from './admin-nav';

/** The signed-in admin of this request (after `requireAdmin`). */
export function adminOf(res: Response): AdminPrincipal {
  return principalOf(res, 'admin');
}

/** Who acts and from where, for the audit row of whatever this request writes. */
export function adminContext(req: Request, res: Response): AdminContext {
  const requestId: unknown = res.locals.requestId;
  return {
    admin: identityOf(adminOf(res)),
    origin: { ip: req.ip ?? req.socket.remoteAddress ?? null, requestId: typeof requestId === 'string' ? requestId : null },
  };
}

/** Where a request came from, before anyone is signed in. */
export function originOf(req: Request, res: Response): AdminContext['origin'] {
  const requestId: unknown = res.locals.requestId;
  return { ip: req.ip ?? req.socket.remoteAddress ?? null, requestId: typeof requestId === 'string' ? requestId : null };
}

/**
 * Renders admin pages in the shared layout, with the admin's navigation, their name and role,
 * the sign-out form and a CSRF token for the page's forms. The language is the browser's,
 * then the program's default.
 */
export class AdminPages {
  constructor(
    private readonly views: ViewRenderer,
    private readonly translations: Translations,
    private readonly csrf: Csrf,
    private readonly defaultLanguage?: () => Promise<string>,
  ) {}

  async i18n(req: Request): Promise<Translator> {
    return this.translations.negotiate({ accepted: req.acceptsLanguages(), programDefault: (await this.defaultLanguage?.()) ?? null });
  }

  /** A page of the signed-in area: `current` is the nav entry it belongs to. */
  async render(req: Request, res: Response, template: string, model: object, options: { current?: string; status?: number; i18n?: Translator } = {}): Promise<void> {
    const admin = adminOf(res);
    const mount = mountOf(res);
    const i18n = options.i18n ?? (await this.i18n(req));
    const nav = ADMIN_NAV.filter((item) => item.roles.includes(admin.role)).map((item) => ({
      href: mountUrl(mount, item.path),
      label: item.label,
      current: item.key === options.current,
    }));
    const csrfToken = this.csrf.token(req, res);
    const adminBar = {
      nav,
      name: admin.name,
      role: i18n.t(`admin.role.${admin.role}`),
      signOutAction: mountUrl(mount, 'admin/logout'),
      csrfToken,
    };
    this.send(res, options.status ?? 200, template, { ...model, adminBar, csrfToken }, i18n, mount);
  }

  /** A page before sign-in (login, setup): no navigation; its forms' token comes from `csrf`. */
  async renderPublic(req: Request, res: Response, template: string, model: object, csrf: Csrf, status = 200): Promise<void> {
    const i18n = await this.i18n(req);
    this.send(res, status, template, { ...model, csrfToken: csrf.token(req, res) }, i18n, mountOf(res));
  }

  private send(res: Response, status: number, template: string, model: object, i18n: Translator, mount: string): void {
    res.set('Cache-Control', 'no-store');
    res.status(status).type('html').send(this.views.render(template, model, { i18n, mount }));
  }
}

/** A failed panel action's retry, refused: why, in the admin's language. */
export function retryRefused(i18n: Translator, refused: Extract<RetryResult, { ok: false }>): AppError {
  return new AppError(422, refused.refusal === 'not_enough_points' ? 'not_enough_points' : 'retry_refused', {
    message: `The panel action can't be sent again: ${refused.refusal}`,
    detail: { key: `admin.redemptions.retry_refused.${refused.refusal}`, params: { available: formatInteger(i18n.locale, refused.available) } },
  });
}
