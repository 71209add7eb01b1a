import type { Request, RequestHandler, Response } from 'express';
import type { AdminContext } from '../../domain/audit';
import type { AdminRole } from '../../domain/actor';
import { NotFoundError } from '../../errors';
import type { Translator } from '../../i18n';
import type { Csrf } from '../csrf';
import { mountOf } from '../urls';
import type { ViewRenderer } from '../views';

/** What the admin pages of this folder share with the admin area that mounts them. */
export interface AdminPageDeps {
  views: ViewRenderer;
  csrf: Csrf;
  /** The session guard: an admin with one of these roles, else 401/403 (checked on every route). */
  requireAdmin: (roles: readonly AdminRole[]) => RequestHandler;
  /** Who acts and from where, for the audit row of a write. */
  contextOf: (req: Request, res: Response) => AdminContext;
  /** The signed-in admin's language. */
  i18nFor: (req: Request, res: Response) => Promise<Translator>;
  /** The layout admin pages render in (with the admin navigation). */
  layout?: string;
}

/** Every admin role: pages anyone signed in to the admin area may read. */
export const ANY_ADMIN: readonly AdminRole[] = ['viewer', 'billing', 'owner'];

/** A route parameter that must be one of our ids; anything else is a page that doesn't exist. */
export function idParam(value: unknown): number {
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) throw new NotFoundError('not_found', { message: 'No such page' });
  return Number(value);
}

/** Renders an admin page: never cached (it shows member data), in the admin layout. */
export function sendPage(deps: AdminPageDeps, res: Response, i18n: Translator, status: number, template: string, model: object): void {
  res.set('Cache-Control', 'no-store');
  res.status(status).type('html').send(deps.views.render(template, model, { i18n, mount: mountOf(res) }, deps.layout));
}
