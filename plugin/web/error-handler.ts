import type { ErrorRequestHandler, Request } from 'express';
import { AppError, BadRequestError, PayloadTooLargeError } from '../errors';
import type { Translations } from '../i18n';
import type { Logger } from '../logger';
import type { ViewRenderer } from './views';

/** Body-parser errors carry `type`; map them onto our typed errors. */
function normalise(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; limit?: number; status?: number };
  if (e?.type === 'entity.too.large') return new PayloadTooLargeError(e.limit ?? 0);
  if (e?.type === 'entity.parse.failed' || e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new BadRequestError('malformed_body', {
      message: 'The request body could not be read',
      fields: [{ path: 'body', message: 'could not be parsed' }],
    });
  }
  return null;
}

const PAGE_MESSAGES: Record<string, string> = {
  sso_invalid: 'error.sso_invalid',
  sso_expired: 'error.sso_expired',
  sso_used: 'error.sso_used',
  session_required: 'error.session_required',
  not_found: 'error.not_found',
  csrf_invalid: 'error.csrf_invalid',
};

function wantsJson(req: Request): boolean {
  return req.path.startsWith('/hooks/') || req.path === '/healthz' || req.accepts(['html', 'json']) === 'json';
}

/**
 * The one place errors become responses: JSON `{ error, message, help, fields }` for APIs, a
 * translated page for people. Unexpected errors are logged with the request id and shown as
 * a generic 500 that leaks nothing.
 */
export function errorHandler(deps: { logger: Logger; views: ViewRenderer; translations: Translations }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = normalise(err);
    const status = known?.status ?? 500;
    if (!known) deps.logger.error({ err, path: req.path, method: req.method }, 'unhandled error');
    else if (status >= 500) deps.logger.error({ err, code: known.code }, known.message);
    else deps.logger.info({ code: known.code, status, path: req.path, fields: known.fields }, known.message);

    if (res.headersSent) return;
    if (wantsJson(req)) {
      res.status(status).json(
        known
          ? { error: known.code, message: known.message, help: known.help, fields: known.fields }
          : { error: 'internal_error', message: 'An unexpected error happened; it has been logged.' },
      );
      return;
    }
    // Before sign-in (a bad SSO link) only the browser's language is known.
    const i18n = deps.translations.for(res.locals.locale ?? (req.acceptsLanguages('en', 'ru') || undefined));
    const messageKey = known ? (PAGE_MESSAGES[known.code] ?? (status === 403 ? 'error.forbidden' : 'error.bad_request')) : 'error.internal';
    res.status(status).type('html').send(deps.views.render('error', { status, messageKey }, i18n));
  };
}
