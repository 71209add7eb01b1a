import express, { Router, type RequestHandler } from 'express';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { RateLimiter } from '../../db/rate-limits';
import { AppError, PayloadTooLargeError, RateLimitedError, UnauthorizedError, ValidationError } from '../../errors';
import { checkEventInput, MAX_EVENT_BYTES, parseJsonText } from '../../events/event-input';
import type { EventService } from '../../services/event-service';
import { byIp } from '../rate-limit';
import { outcomeOf } from '../request-log';

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
    // The body parser would read all of a declared length before refusing it.
    if (Number(req.get('content-length') ?? 0) > MAX_EVENT_BYTES) return refuseEarly(req, res, new PayloadTooLargeError(MAX_EVENT_BYTES));
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

    const parsed = checkEventInput(parseJsonText(body.toString('utf8')), deps.clock());
    if (parsed.event.id !== req.get('webhook-id')) {
      throw new ValidationError([{ path: 'id', message: 'must equal the webhook-id header' }]);
    }
    const outcome = outcomeOf(res);
    outcome.eventType = parsed.event.type;
    const result = await deps.events.ingest(deps.source, parsed.event, parsed.json, { requestId: requestIdOf(res) });
    outcome.outcome = result.outcome;
    res.json(result);
  });

  return router;
}

function requestIdOf(res: express.Response): string | undefined {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : undefined;
}
