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

/** An HMAC-SHA256 in standard base64, as the verifier compares it. */
const V1_SIGNATURE = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Whether the `webhook-signature` header holds a `v1` signature the verifier could match: it
 * reads the space-separated `v1,<base64>` entries the same way, so a header without one fails
 * verification whatever the body is.
 */
function hasV1Signature(header: string): boolean {
  return header.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    return version === 'v1' && V1_SIGNATURE.test(signature ?? '');
  });
}

/**
 * `POST <mount>/hooks/events` (mounted at `/hooks`): Standard Webhooks signature (5-minute
 * tolerance) → JSON → the canonical event contract → the event service. Each step refuses
 * with its own status before anything is written.
 *
 * What can be judged without the body is judged before it is read: missing signature headers,
 * no `v1` signature of the right shape, a stale timestamp. Those answers close the connection,
 * so a sender never gets to make us read 256 KB it cannot sign.
 *
 * An address over its limit of badly signed deliveries is still heard, never turned away
 * wholesale: the panel may share it with whoever sent the bad ones (a NAT, a proxy), and a
 * correctly signed delivery must always get through. While it is over, every bad delivery from
 * it, judged before or after the body as above, is answered 429 with the Retry-After of its
 * block instead of 401, without counting it again (no database write).
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

  /**
   * Addresses this process saw go over the limit, until when (epoch ms): read without a
   * database round trip, so a blocked address's bad deliveries cost no write and its correctly
   * signed ones nothing extra. Another instance's count reaches us with the next bad delivery
   * we see from that address.
   */
  const blockedUntil = new Map<string, number>();
  const tooMany = (retryAfterSeconds: number) => new RateLimitedError('badly signed webhooks from this address', retryAfterSeconds);
  /** The seconds left of this address's block, or null when it has none. */
  const blockLeft = (ip: string | null): number | null => {
    const until = ip === null ? undefined : blockedUntil.get(ip);
    if (until === undefined || ip === null) return null;
    if (until > Date.now()) return Math.ceil((until - Date.now()) / 1000);
    blockedUntil.delete(ip);
    return null;
  };

  /**
   * A badly signed delivery: 429 while its address is blocked, else counted, and 429 if that
   * count blocks the address, else the refusal itself (401).
   */
  const refuseBad = async (req: express.Request, res: express.Response, err: UnauthorizedError): Promise<never> => {
    const ip = byIp(req, res);
    const left = blockLeft(ip);
    if (left !== null) {
      res.set('Connection', 'close');
      throw tooMany(left);
    }
    if (deps.badSignatures && ip !== null) {
      const verdict = await deps.badSignatures.consume(ip);
      if (!verdict.allowed) {
        if (blockedUntil.size > 10_000) for (const [key, until] of blockedUntil) if (until <= Date.now()) blockedUntil.delete(key);
        blockedUntil.set(ip, Date.now() + verdict.retryAfterSeconds * 1000);
        res.set('Connection', 'close');
        throw tooMany(verdict.retryAfterSeconds);
      }
    }
    throw err;
  };
  /** A refusal before the body: the connection is not reused, so the body is never read. */
  const refuseEarly = async (req: express.Request, res: express.Response, err: AppError): Promise<never> => {
    res.set('Connection', 'close');
    if (err instanceof UnauthorizedError) return refuseBad(req, res, err);
    throw err;
  };

  const checkHeaders: RequestHandler = async (req, res, next) => {
    const id = req.get('webhook-id');
    const timestamp = req.get('webhook-timestamp');
    const signature = req.get('webhook-signature');
    if (!id || !timestamp || !signature) return refuseEarly(req, res, badSignature('Missing required headers'));
    const at = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
    const now = Date.now() / 1000; // the verifier judges by the wall clock too
    if (!Number.isFinite(at)) return refuseEarly(req, res, badSignature('Invalid Signature Headers'));
    if (Math.abs(now - at) > WEBHOOK_TOLERANCE_S) return refuseEarly(req, res, badSignature(at < now ? 'Message timestamp too old' : 'Message timestamp too new'));
    if (!hasV1Signature(signature)) return refuseEarly(req, res, badSignature('No matching signature found'));
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
      return refuseBad(req, res, badSignature(err.message));
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
