import { Router, type Request } from 'express';
import { BadRequestError } from '../../errors';
import type { AuthService } from '../../services/auth-service';
import type { RedemptionService } from '../../services/redemption-service';
import { principalOf, sessionGuard } from '../session';
import { mountOf } from '../urls';
import type { ViewRenderer } from '../views';
import type { RedemptionListPresenter } from './redemption-list-presenter';

/** A redemption id as a cursor: at most 15 digits, so always a safe integer, and far above any id a table reaches. */
const CURSOR = /^[1-9]\d{0,14}$/;

/**
 * `before`, the id older redemptions are listed below; absent or empty, the newest page.
 * Anything else (not a number, zero, negative, too long, given twice) is a 400 naming it,
 * never a query the database is asked.
 */
function beforeParam(req: Request): number | undefined {
  const value = req.query.before;
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && CURSOR.test(value)) return Number(value);
  const message = typeof value === 'string' ? 'must be a whole number from 1 to 15 digits long' : 'must be given once';
  throw new BadRequestError('invalid_query', {
    message: `Invalid redemption list query: before ${message}`,
    fields: [{ path: 'before', message }],
    headline: 'error.invalid_link',
    detail: { key: 'error.detail.cursor_parameter', params: { parameter: 'before' } },
  });
}

/**
 * `<mount>/client/redemptions`: every redemption of the session's client, newest first, a
 * page at a time, each linking to its own page (`/client/redemptions/:id`), so no code is
 * out of reach however many came after it. Read-only, so no form and no CSRF.
 */
export function redemptionListRouter(deps: {
  auth: AuthService;
  redemptions: RedemptionService;
  presenter: RedemptionListPresenter;
  views: ViewRenderer;
  /** The program's default language, the last choice for the page's language (as the tab's). */
  defaultLanguage?: () => Promise<string>;
}): Router {
  const router = Router();
  const requireClient = sessionGuard(deps.auth)('client');

  router.get('/client/redemptions', requireClient, async (req, res) => {
    const client = principalOf(res, 'client');
    const before = beforeParam(req);
    const page = await deps.redemptions.history(client.clientId, { before });
    const i18n = deps.presenter.i18nFor(page.member, { sessionLocale: client.locale, accepted: req.acceptsLanguages(), programDefault: await deps.defaultLanguage?.() });
    const mount = mountOf(res);
    res.set('Cache-Control', 'no-store');
    res.type('html').send(deps.views.render('client/redemption-list', deps.presenter.present(i18n, page, mount), { i18n, mount }));
  });

  return router;
}
