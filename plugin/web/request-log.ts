import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { runInRequest } from '../lib/request-context';
import type { Logger } from '../logger';

/** A caller's `X-Request-Id` is kept when it is this safe; otherwise we make one. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** What a request's one log line (and its metrics) say about it, filled in by the routes. */
export interface RequestOutcome {
  /** The webhook's event id, once the signature has been checked. */
  eventId?: string;
  eventType?: string;
  /** applied / ignored / duplicate, or the error code of a refusal. */
  outcome?: string;
}

/** Called once per finished request, for metrics. */
export type RequestObserver = (info: { area: string; status: number; seconds: number; outcome: RequestOutcome }) => void;

export function outcomeOf(res: Response): RequestOutcome {
  res.locals.outcome ??= {};
  return res.locals.outcome as RequestOutcome;
}

const QUIET = /^\/(healthz|metrics)(\/|$)/;

/**
 * Gives each request an id (the caller's `X-Request-Id` when safe, else a new one), returns
 * it, puts it on every log line written while serving it, and writes one line when the
 * request ends: method, path without the query (an SSO token travels there), status,
 * duration, and for a webhook the event id and outcome. Deliberately not pino-http, which
 * serialises whole requests and cost 12–15% of ingest CPU (DESIGN §10).
 */
export function requestLog(logger: Logger, observe?: RequestObserver): RequestHandler {
  return (req, res, next) => {
    const header = req.get('x-request-id');
    const requestId = header !== undefined && REQUEST_ID.test(header) ? header : randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    // Routers below change req.baseUrl as they go; the plugin's mount point is what it is now.
    const mount = req.baseUrl;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const path = req.originalUrl.split('?')[0] ?? '';
      const errorCode: unknown = res.locals.errorCode;
      const outcome = outcomeOf(res);
      const aborted = !res.writableFinished;
      observe?.({
        area: areaOf(mount, path),
        status: res.statusCode,
        seconds,
        outcome: { ...outcome, outcome: outcome.outcome ?? (typeof errorCode === 'string' ? errorCode : undefined) },
      });
      if (QUIET.test(path.slice(mount.length)) && res.statusCode < 400) return;
      logger.info(
        {
          req_id: requestId,
          method: req.method,
          path,
          status: aborted ? null : res.statusCode,
          ms: Math.round(seconds * 10_000) / 10,
          ...(outcome.eventId !== undefined && { event: outcome.eventId }),
          ...(outcome.outcome !== undefined && { outcome: outcome.outcome }),
          ...(typeof errorCode === 'string' && { error: errorCode }),
          ...(aborted && { aborted: true }),
        },
        'request',
      );
    };
    res.on('finish', finish);
    res.on('close', finish);
    runInRequest({ requestId }, next);
  };
}

function areaOf(baseUrl: string, path: string): string {
  const rest = path.slice(baseUrl.length);
  const first = rest.split('/')[1] ?? '';
  return ['hooks', 'sso', 'client', 'healthz', 'metrics'].includes(first) ? first : 'other';
}
