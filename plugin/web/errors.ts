import type { ErrorRequestHandler, Request, Response } from 'express';
import { isUnavailable } from '../db/errors';
import { AppError, BadRequestError, DatabaseUnavailableError, PayloadTooLargeError, type ErrorCode, type PageText } from '../errors';
import type { Translations, Translator } from '../i18n';
import type { Logger } from '../logger';
import type { ClientPrincipal } from '../services/auth-service';
import { clientLanguage } from './client/client-language';
import { mountOf, mountUrl } from './urls';
import type { ViewRenderer } from './views';

/**
 * Body-parser's refusals and the database's "try later" as our typed errors. Body-parser marks
 * a refusal with a 4xx `status` and `expose`; most also carry a `type`, but not all (a
 * compressed body that doesn't decompress), so the status decides.
 */
function normalise(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (isUnavailable(err)) return new DatabaseUnavailableError(err);
  const e = err as { type?: string; limit?: number; status?: number; expose?: boolean } | null;
  if (e?.type === 'entity.too.large') return new PayloadTooLargeError(e.limit ?? 0);
  if (e?.type === 'parameters.too.many') {
    return new BadRequestError('malformed_body', { message: 'The request body has too many fields', fields: [{ path: 'body', message: 'has too many fields' }] });
  }
  if (e?.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new BadRequestError('malformed_body', {
      message: 'The request body could not be read',
      fields: [{ path: 'body', message: 'could not be parsed' }],
    });
  }
  return null;
}

/** Codes with their own sentence on the error page; others get one by status. */
const PAGE_MESSAGES: Partial<Record<ErrorCode, string>> = {
  sso_invalid: 'error.sso_invalid',
  sso_expired: 'error.sso_expired',
  sso_used: 'error.sso_used',
  rate_limited: 'error.rate_limited',
  database_unavailable: 'error.unavailable',
  session_required: 'error.session_required',
  not_found: 'error.not_found',
  csrf_invalid: 'error.csrf_invalid',
  invalid_query: 'error.invalid_query',
  admin_setup_invalid: 'admin.error.setup_invalid',
  role_forbidden: 'admin.error.role_forbidden',
};

/**
 * What the page tells the provider about a refusal by its code, where the error brings no words
 * of its own (`AppError.detail`); the parameters are the request's and the error's.
 */
const PAGE_DETAILS: Partial<Record<ErrorCode, string>> = {
  not_found: 'error.detail.not_found',
  session_required: 'error.detail.session_required',
  csrf_invalid: 'error.detail.csrf_invalid',
  role_forbidden: 'error.detail.role_forbidden',
  admin_setup_invalid: 'error.detail.admin_setup_invalid',
  rate_limited: 'error.detail.rate_limited',
  redemption_key_conflict: 'error.detail.redemption_key_conflict',
  admin_form_key_conflict: 'error.detail.admin_form_key_conflict',
  redemption_not_cancellable: 'admin.redemptions.not_cancellable',
  action_not_retriable: 'admin.redemptions.not_retriable',
  malformed_body: 'error.detail.malformed_body',
  payload_too_large: 'error.detail.payload_too_large',
  sso_invalid: 'error.detail.sso_invalid',
  sso_expired: 'error.detail.sso_expired',
  sso_used: 'error.detail.sso_used',
};

/** The provider's sentence: the error's own, else its code's, else the fields it refused, else the code. */
function pageDetail(known: AppError, req: Request, res: Response, i18n: Translator): PageText {
  if (known.detail) return known.detail;
  const key = PAGE_DETAILS[known.code];
  const principal = res.locals.principal;
  // The role refused, by the name the admin area gives it in the reader's language.
  const role = principal?.kind === 'admin' ? i18n.t(`admin.role.${principal.role}`) : '';
  if (key) return { key, params: { method: req.method, path: req.originalUrl.split('?')[0] ?? '', seconds: known.retryAfterSeconds ?? 0, role } };
  if (known.fields.length > 0) return { key: 'error.detail.fields', params: { fields: known.fields.map((f) => f.path || 'body').join(', ') } };
  return { key: 'error.detail.other', params: { code: known.code } };
}

/** The ordinary ways to arrive signed out: the page says what to do, not that something broke. */
const SIGN_IN_AGAIN: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['sso_invalid', 'sso_expired', 'sso_used', 'session_required']);

export interface ErrorDeps {
  logger: Logger;
  views: ViewRenderer;
  translations: Translations;
  /** The panel's client area, for a way back (PANEL_ORIGIN, or the demo panel). */
  panelHome?: (mount: string) => string | null;
  /** The program's default language, after the client's and the browser's. */
  defaultLanguage?: () => Promise<string>;
  /** A signed-in client's language, chosen as their Rewards tab's is (their stored locale first). */
  clientLanguage?: (client: ClientPrincipal, accepted: readonly string[]) => Promise<Translator>;
  /** The client session a request carries, for an error raised before any guard read it. */
  clientSession?: (req: Request) => Promise<ClientPrincipal | null>;
}

type Responder = (req: Request, res: Response, status: number, known: AppError | null) => void;

/**
 * Each area of the web layer ends with one of these, so an error is answered in its area's
 * format (JSON for machines, a page for people) by where it happened, not by its path.
 * Unexpected errors are logged and answered as a generic 500 that leaks nothing.
 */
function handler(deps: ErrorDeps, respond: Responder): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (clientAborted(err, req)) {
      // The client went away mid-request: nothing to answer and nothing wrong here.
      deps.logger.info({ path: req.path, method: req.method }, 'client aborted the request');
      return;
    }
    const known = normalise(err);
    const status = known?.status ?? 500;
    res.locals.errorCode = known?.code ?? 'internal_error';
    if (!known) deps.logger.error({ err, path: req.path, method: req.method }, 'unhandled error');
    else if (known instanceof DatabaseUnavailableError) deps.logger.warn({ code: known.code, cause: describeCause(err) }, known.message);
    else if (status >= 500) deps.logger.error({ err, code: known.code }, known.message);
    else deps.logger.info({ code: known.code, status, path: req.path, fields: known.fields }, known.message);
    if (res.headersSent) return;
    if (known?.retryAfterSeconds !== undefined) res.set('Retry-After', String(known.retryAfterSeconds));
    respond(req, res, status, known);
  };
}

/**
 * Body-parser's abort, or an error because the client closed its side: a reset, or a streamed
 * response that closed before it finished (`ERR_STREAM_PREMATURE_CLOSE` from a pipeline into it).
 */
export function clientAborted(err: unknown, req: Request): boolean {
  const e = err as { type?: string; code?: string };
  return e?.type === 'request.aborted' || (req.destroyed && (e?.code === 'ECONNRESET' || e?.code === 'ECONNABORTED' || e?.code === 'ERR_STREAM_PREMATURE_CLOSE'));
}

/** A driver error in one line (its code and message), not its stack. */
function describeCause(err: unknown): string {
  const e = err as { code?: string; errno?: number; message?: string };
  return [e?.code, e?.errno, e?.message].filter((x) => x !== undefined).join(' ');
}

const sendJson: Responder = (_req, res, status, known) => {
  const requestId = requestIdOf(res);
  res.status(status).json(
    known
      ? { error: known.code, message: known.message, help: known.help, fields: known.fields, request_id: requestId }
      : { error: 'internal_error' satisfies ErrorCode, message: 'An unexpected error happened; it has been logged.', request_id: requestId },
  );
};

function requestIdOf(res: Response): string | undefined {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : undefined;
}

function sendPage(deps: ErrorDeps, area: PageArea = 'client'): Responder {
  return (req, res, status, known) => {
    void renderPage(deps, req, res, status, known, area).catch((err: unknown) => {
      deps.logger.error({ err }, 'error page failed');
      if (!res.headersSent) res.status(status).type('text').send(String(status));
    });
  };
}

/** Whose pages: the admin area's sign-in advice and way back differ from the client area's. */
type PageArea = 'client' | 'admin';

/** The client a client-area page is for: the guard's, else the session cookie's (an unknown path); none signed out. */
async function clientOf(deps: ErrorDeps, req: Request, res: Response): Promise<ClientPrincipal | null> {
  const principal = res.locals.principal;
  if (principal) return principal.kind === 'client' ? principal : null;
  return (await deps.clientSession?.(req).catch(() => null)) ?? null;
}

/**
 * The page's language. A signed-in client reads it in their tab's language, whatever went
 * wrong. Before sign-in (a bad SSO link) only the browser's language and the program's are
 * known; an admin's page is in their browser's.
 */
async function pageLanguage(deps: ErrorDeps, req: Request, client: ClientPrincipal | null, known: AppError | null): Promise<Translator> {
  const accepted = req.acceptsLanguages();
  // With the database down, asking it for the member's locale would only hold the page up.
  if (client && deps.clientLanguage && !(known instanceof DatabaseUnavailableError)) {
    const chosen = await deps.clientLanguage(client, accepted).catch(() => null);
    if (chosen) return chosen;
  }
  const programDefault = await deps.defaultLanguage?.().catch(() => undefined);
  return clientLanguage(deps.translations, { sessionLocale: client?.locale, accepted, programDefault });
}

async function renderPage(deps: ErrorDeps, req: Request, res: Response, status: number, known: AppError | null, area: PageArea): Promise<void> {
  const client = area === 'client' ? await clientOf(deps, req, res) : null;
  const i18n = await pageLanguage(deps, req, client, known);
  const messageKey = known ? (known.headline ?? PAGE_MESSAGES[known.code] ?? (status === 403 ? 'error.forbidden' : 'error.bad_request')) : 'error.internal';
  const signIn = known !== null && SIGN_IN_AGAIN.has(known.code);
  const titleKey = signIn ? 'error.title_sign_in' : status === 404 ? 'error.title_not_found' : 'error.title';
  // What was refused and why (a clock that is off, a bad claim) is for whoever integrates the
  // panel: the page keeps it folded away, in the reader's language like the rest of the page
  // (the log keeps the English sentence under the request's reference). A 500's would leak internals.
  const said = known && status < 500 ? pageDetail(known, req, res, i18n) : null;
  const detail = said ? i18n.t(said.key, said.params) : null;
  const mount = mountOf(res);
  const requestId = requestIdOf(res);
  if (area === 'admin') {
    // Admins get the way to the admin sign-in, and the refusal's own words unfolded.
    // Signed out or expired: the admin signs in here again, not through the panel's client area.
    const model = {
      status,
      titleKey: signIn ? 'admin.error.title_sign_in' : titleKey,
      messageKey: signIn ? 'admin.error.session_required' : messageKey,
      signIn: false,
      detail,
      detailOpen: true,
      backHref: mountUrl(mount, signIn ? 'admin/login' : 'admin'),
      backKey: signIn ? 'admin.error.sign_in' : 'admin.error.back',
      requestId,
      fields: known?.fields ?? [],
    };
    res.status(status).type('html').send(deps.views.render('error', model, { i18n, mount }));
    return;
  }
  const backHref = client?.returnUrl ?? deps.panelHome?.(mount) ?? null;
  res
    .status(status)
    .type('html')
    .send(deps.views.render('error', { status, titleKey, messageKey, signIn, detail, backHref, requestId, fields: known?.fields ?? [] }, { i18n, mount }));
}

/** For the webhook, health and API areas. */
export function jsonErrors(deps: ErrorDeps): ErrorRequestHandler {
  return handler(deps, sendJson);
}

/** For the client, admin and demo areas. */
export function pageErrors(deps: ErrorDeps, area: PageArea = 'client'): ErrorRequestHandler {
  return handler(deps, sendPage(deps, area));
}

/**
 * For what no area claimed (an unknown path) or failed before reaching one: the caller's
 * Accept header decides, since there is no area to go by.
 */
export function fallbackErrors(deps: ErrorDeps): ErrorRequestHandler {
  const page = sendPage(deps);
  return handler(deps, (req, res, status, known) =>
    (req.accepts(['html', 'json']) === 'json' ? sendJson : page)(req, res, status, known),
  );
}
