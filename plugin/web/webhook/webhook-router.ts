import express, { Router, type RequestHandler } from 'express';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { RateLimiter } from '../../db/rate-limits';
import { findTooDeep, MAX_JSON_DEPTH } from '../../domain/json-depth';
import { AppError, BadRequestError, RateLimitedError, UnauthorizedError, ValidationError } from '../../errors';
import { parseCanonicalEvent } from '../../events/canonical-event';
import type { EventService } from '../../services/event-service';
import { byIp } from '../rate-limit';
import { outcomeOf } from '../request-log';

export const MAX_EVENT_BYTES = 256 * 1024;
/** Standard Webhooks' tolerance (DESIGN §6): a timestamp further off than this is refused. */
export const WEBHOOK_TOLERANCE_S = 5 * 60;

const SIGNATURE_HELP =
  'Sign `webhook-id.webhook-timestamp.body` with HMAC-SHA256 and the WEBHOOK_SECRET (Standard Webhooks), and send it within 5 minutes.';

function badSignature(message: string): UnauthorizedError {
  return new UnauthorizedError('invalid_signature', { message: `Webhook rejected: ${message}`, help: SIGNATURE_HELP });
}

/**
 * `POST <mount>/hooks/events` (mounted at `/hooks`): Standard Webhooks signature (5-minute
 * tolerance) → JSON → the canonical event contract → the event service. Each step refuses
 * with its own status before anything is written.
 *
 * What can be judged without the body is judged before it is read: an address over its limit
 * of badly signed deliveries, missing signature headers, a stale timestamp. Those answers close
 * the connection, so a sender never gets to make us read 256 KB it cannot sign.
 */
export function webhookRouter(deps: {
  secret: string;
  source: string;
  events: EventService;
  clock: () => Date;
  /** Counts badly signed deliveries per address; correctly signed ones are never counted. */
  badSignatures?: RateLimiter;
}): Router {
  const verifier = new Webhook(deps.secret);
  const router = Router();

  /** A refusal before the body: counted as a bad delivery, and the connection is not reused. */
  const refuseEarly = async (req: express.Request, res: express.Response, err: AppError): Promise<never> => {
    res.set('Connection', 'close');
    if (err instanceof UnauthorizedError) await countBad(req, res);
    throw err;
  };
  /**
   * Addresses this process saw go over the limit, until when (epoch ms): checked before the
   * body without a database read, so correctly signed deliveries cost nothing extra. Another
   * instance's count reaches us with the next bad delivery we see from that address.
   */
  const blockedUntil = new Map<string, number>();
  const tooMany = (retryAfterSeconds: number) => new RateLimitedError('badly signed webhooks from this address', retryAfterSeconds);
  const countBad = async (req: express.Request, res: express.Response): Promise<void> => {
    const ip = byIp(req, res);
    if (!deps.badSignatures || ip === null) return;
    const verdict = await deps.badSignatures.consume(ip);
    if (verdict.allowed) return;
    if (blockedUntil.size > 10_000) for (const [key, until] of blockedUntil) if (until <= Date.now()) blockedUntil.delete(key);
    blockedUntil.set(ip, Date.now() + verdict.retryAfterSeconds * 1000);
    res.set('Connection', 'close');
    throw tooMany(verdict.retryAfterSeconds);
  };

  const checkHeaders: RequestHandler = async (req, res, next) => {
    const ip = byIp(req, res);
    const until = ip === null ? undefined : blockedUntil.get(ip);
    if (until !== undefined && ip !== null) {
      if (until > Date.now()) {
        res.set('Connection', 'close');
        throw tooMany(Math.ceil((until - Date.now()) / 1000));
      }
      blockedUntil.delete(ip);
    }
    const id = req.get('webhook-id');
    const timestamp = req.get('webhook-timestamp');
    if (!id || !timestamp || !req.get('webhook-signature')) return refuseEarly(req, res, badSignature('Missing required headers'));
    const at = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
    const now = Date.now() / 1000; // the verifier judges by the wall clock too
    if (!Number.isFinite(at)) return refuseEarly(req, res, badSignature('Invalid Signature Headers'));
    if (Math.abs(now - at) > WEBHOOK_TOLERANCE_S) return refuseEarly(req, res, badSignature(at < now ? 'Message timestamp too old' : 'Message timestamp too new'));
    outcomeOf(res).eventId = id.slice(0, 128);
    next();
  };

  router.post('/events', checkHeaders, express.raw({ type: () => true, limit: MAX_EVENT_BYTES }), async (req, res) => {
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      verifier.verify(body, {
        'webhook-id': req.get('webhook-id') ?? '',
        'webhook-timestamp': req.get('webhook-timestamp') ?? '',
        'webhook-signature': req.get('webhook-signature') ?? '',
      }, { jsonParse: false });
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
      await countBad(req, res);
      throw badSignature(err.message);
    }

    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new BadRequestError('malformed_json', {
        message: 'The body is not valid JSON',
        help: 'Send one canonical event as a JSON object (see DESIGN §6).',
        fields: [{ path: 'body', message: `is not valid JSON: ${(err as Error).message}` }],
      });
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new BadRequestError('malformed_json', {
        message: 'The body must be a JSON object',
        fields: [{ path: 'body', message: 'must be a JSON object' }],
      });
    }

    // Before the schema and the body hash, which both recurse.
    const tooDeep = findTooDeep(json);
    if (tooDeep !== null) {
      throw new ValidationError([{ path: tooDeep, message: `is nested deeper than ${MAX_JSON_DEPTH} levels` }], 'Send the canonical event without deeply nested extra fields.');
    }

    const parsed = parseCanonicalEvent(json, deps.clock());
    if (!parsed.ok) throw new ValidationError(parsed.fields);
    if (parsed.event.id !== req.get('webhook-id')) {
      throw new ValidationError([{ path: 'id', message: 'must equal the webhook-id header' }]);
    }
    const outcome = outcomeOf(res);
    outcome.eventType = parsed.event.type;
    const result = await deps.events.ingest(deps.source, parsed.event, json, { requestId: requestIdOf(res) });
    outcome.outcome = result.outcome;
    res.json(result);
  });

  return router;
}

function requestIdOf(res: express.Response): string | undefined {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : undefined;
}
