/**
 * Typed errors, Ghost style: each carries an HTTP status, a stable machine code and a help text
 * that tells the caller what to do next. The web error handlers are the only place that turns
 * them into responses.
 */
import type { FieldProblem } from './domain/validation';

export type { FieldProblem };

/**
 * Every machine code a caller can see, one per failure. Callers branch on these, so a code
 * is never renamed, and a new failure gets its own code rather than borrowing a near one.
 */
export type ErrorCode =
  // Requests
  | 'validation_failed'
  | 'invalid_query'
  | 'malformed_body'
  | 'malformed_json'
  | 'payload_too_large'
  | 'not_found'
  | 'internal_error'
  | 'rate_limited'
  | 'database_unavailable'
  // Webhooks and the inbox
  | 'invalid_signature'
  | 'event_id_conflict'
  // Redemption
  | 'redemption_key_conflict'
  // Sign-in and sessions
  | 'sso_invalid'
  | 'sso_expired'
  | 'sso_used'
  | 'session_required'
  | 'role_forbidden'
  | 'csrf_invalid'
  | 'metrics_unauthorized'
  // The admin area
  | 'admin_password_wrong'
  | 'admin_password_unset'
  | 'admin_locked'
  | 'admin_setup_invalid'
  | 'admin_form_key_conflict'
  | 'not_enough_points'
  | 'redemption_not_cancellable'
  | 'action_not_retriable'
  | 'retry_refused'
  // Start-up and stored settings
  | 'config_invalid'
  // Panel actions
  | 'unknown_action'
  | 'invalid_action_payload'
  | 'unsupported_action'
  | 'panel_unreachable'
  | 'panel_refused'
  | 'panel_gone'
  | 'delivery_unverifiable'
  // Email by SMTP
  | 'smtp_not_configured'
  | 'smtp_unreachable'
  | 'smtp_refused';

/** Words for people, as a locale key and its parameters: the web layer translates them for the reader. */
export interface PageText {
  key: string;
  params?: Record<string, string | number>;
}

export interface AppErrorOptions {
  /** The English sentence for logs and JSON answers. */
  message: string;
  /**
   * What an error page tells the provider about the refusal, in the reader's language, where
   * the code alone says too little (which claim, how far the clocks are apart). Without it the
   * page says it by code (web/errors.ts).
   */
  detail?: PageText;
  /**
   * The error page's sentence for the reader (a locale key), where its code's (web/errors.ts)
   * fits another page: `invalid_query`'s speaks of the Rewards tab's history filter.
   */
  headline?: string;
  help?: string;
  fields?: FieldProblem[];
  cause?: unknown;
  /** Seconds after which trying again may work: sent as `Retry-After`. */
  retryAfterSeconds?: number;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly options: AppErrorOptions,
  ) {
    super(options.message, { cause: options.cause });
    this.name = new.target.name;
  }

  get help(): string | undefined {
    return this.options.help;
  }

  get detail(): PageText | undefined {
    return this.options.detail;
  }

  get headline(): string | undefined {
    return this.options.headline;
  }

  get fields(): FieldProblem[] {
    return this.options.fields ?? [];
  }

  get retryAfterSeconds(): number | undefined {
    return this.options.retryAfterSeconds;
  }
}

export class BadRequestError extends AppError {
  constructor(code: ErrorCode, options: AppErrorOptions) {
    super(400, code, options);
  }
}

export class ValidationError extends AppError {
  constructor(fields: FieldProblem[], help = 'Fix the listed fields and send the event again.') {
    super(422, 'validation_failed', {
      message: `Invalid ${fields.map((f) => f.path || '(body)').join(', ')}`,
      help,
      fields,
    });
  }
}

export class UnauthorizedError extends AppError {
  constructor(code: ErrorCode, options: AppErrorOptions) {
    super(401, code, options);
  }
}

export class ForbiddenError extends AppError {
  constructor(code: ErrorCode, options: AppErrorOptions) {
    super(403, code, options);
  }
}

export class NotFoundError extends AppError {
  constructor(code: ErrorCode, options: AppErrorOptions) {
    super(404, code, options);
  }
}

export class ConflictError extends AppError {
  constructor(code: ErrorCode, options: AppErrorOptions) {
    super(409, code, options);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', {
      message: `The body is larger than ${limitBytes} bytes`,
      help: 'Send one event per request; strip panel fields the event contract does not need.',
      fields: [{ path: 'body', message: `must be at most ${limitBytes} bytes` }],
    });
  }
}

/** Too many attempts from one address or for one member: try again after `retryAfterSeconds`. */
export class RateLimitedError extends AppError {
  constructor(what: string, retryAfterSeconds: number) {
    super(429, 'rate_limited', {
      message: `Too many ${what}; try again in ${retryAfterSeconds} s`,
      help: 'Wait for the Retry-After seconds before trying again; the limits are set by the RATE_LIMIT_* variables.',
      retryAfterSeconds,
    });
  }
}

/**
 * The database could not be reached, or stayed locked through every retry. Nothing was
 * written; the same request later is expected to work, so the answer says when to retry.
 */
export class DatabaseUnavailableError extends AppError {
  constructor(cause: unknown) {
    super(503, 'database_unavailable', {
      message: 'The database is unavailable or busy; nothing was written',
      help: 'Send the same request again after Retry-After seconds; events are processed exactly once.',
      retryAfterSeconds: 5,
      cause,
    });
  }
}

export class ConfigError extends AppError {
  constructor(message: string, help: string) {
    super(500, 'config_invalid', { message, help });
  }
}

/**
 * A panel adapter could not perform an action. `retryable` tells the outbox dispatcher whether
 * trying again can help (the panel was down or slow) or not (the panel refused the action, or
 * the adapter cannot do it at all).
 */
export class PanelError extends AppError {
  readonly retryable: boolean;
  /** The receiver asked for the next attempt this far ahead (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /**
   * The endpoint is retired (Standard Webhooks: 410 Gone): the dispatcher pauses it, for every
   * action, until an operator resumes it.
   */
  readonly endpointGone: boolean;

  constructor(code: ErrorCode, options: AppErrorOptions & { retryable: boolean; retryAfterMs?: number; endpointGone?: boolean }) {
    super(502, code, options);
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.endpointGone = options.endpointGone ?? false;
  }
}
