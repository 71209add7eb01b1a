import express, { Router } from 'express';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { BadRequestError, UnauthorizedError, ValidationError } from '../../errors';
import { findTooDeep, MAX_JSON_DEPTH } from '../../domain/json-depth';
import { parseCanonicalEvent } from '../../events/canonical-event';
import type { EventService } from '../../services/event-service';

export const MAX_EVENT_BYTES = 256 * 1024;

/**
 * `POST <mount>/hooks/events` (mounted at `/hooks`): Standard Webhooks signature (5-minute
 * tolerance) → JSON → the canonical event contract → the event service. Each step refuses
 * with its own status before anything is written.
 */
export function webhookRouter(deps: { secret: string; source: string; events: EventService; clock: () => Date }): Router {
  const verifier = new Webhook(deps.secret);
  const router = Router();

  router.post('/events', express.raw({ type: () => true, limit: MAX_EVENT_BYTES }), async (req, res) => {
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      verifier.verify(body, {
        'webhook-id': req.get('webhook-id') ?? '',
        'webhook-timestamp': req.get('webhook-timestamp') ?? '',
        'webhook-signature': req.get('webhook-signature') ?? '',
      }, { jsonParse: false });
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
      throw new UnauthorizedError('invalid_signature', {
        message: `Webhook rejected: ${err.message}`,
        help: 'Sign `webhook-id.webhook-timestamp.body` with HMAC-SHA256 and the WEBHOOK_SECRET (Standard Webhooks), and send it within 5 minutes.',
      });
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
    res.json(await deps.events.ingest(deps.source, parsed.event, json));
  });

  return router;
}
