import type { BillingEvent } from '../domain/billing-event';
import { findTooDeep, MAX_JSON_DEPTH } from '../domain/json-depth';
import type { FieldProblem } from '../domain/validation';
import { BadRequestError, ValidationError } from '../errors';
import { parseCanonicalEvent } from './canonical-event';

/** The most an event's JSON text may be, by webhook or as a line of a history file. */
export const MAX_EVENT_BYTES = 256 * 1024;

/**
 * The value nested deeper than an event may be, as a problem naming it; null when there is
 * none. Checked before anything recurses into the JSON: the schema and the body hash would
 * overflow the stack on a body of a few KB nested thousands deep.
 */
export function depthProblem(json: unknown): FieldProblem | null {
  const path = findTooDeep(json);
  return path === null ? null : { path, message: `is nested deeper than ${MAX_JSON_DEPTH} levels` };
}

/**
 * A canonical event as it arrives, checked the same way whatever carried it (the webhook, or a
 * host calling `plugin.ingest`): a JSON object, not nested too deep, then the contract. Throws
 * BadRequestError (400) or ValidationError (422) naming the fields; returns the event and the
 * JSON the inbox keeps (unknown fields included).
 */
export function checkEventInput(json: unknown, now: Date): { event: BillingEvent; json: object } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BadRequestError('malformed_json', {
      message: 'The body must be a JSON object',
      fields: [{ path: 'body', message: 'must be a JSON object' }],
    });
  }
  const tooDeep = depthProblem(json);
  if (tooDeep) throw new ValidationError([tooDeep], 'Send the canonical event without deeply nested extra fields.');
  const parsed = parseCanonicalEvent(json, now);
  if (!parsed.ok) throw new ValidationError(parsed.fields);
  return { event: parsed.event, json };
}

/** JSON text as a value, or a 400 naming the body. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError('malformed_json', {
      message: 'The body is not valid JSON',
      help: 'Send one canonical event as a JSON object (see DESIGN §6).',
      fields: [{ path: 'body', message: `is not valid JSON: ${(err as Error).message}` }],
    });
  }
}
