import type { Request, RequestHandler, Response } from 'express';
import type { RateLimiter } from '../db/rate-limits';
import { RateLimitedError } from '../errors';

/** What a key function returns when this request isn't counted (no member yet, say). */
export type RateLimitKey = (req: Request, res: Response) => string | null;

/** The caller's address as Express sees it (`TRUST_PROXY` decides whether a proxy's header counts). */
export const byIp: RateLimitKey = (req) => req.ip ?? req.socket.remoteAddress ?? null;

/**
 * Counts one attempt against `limiter` for the key, and throws `429 rate_limited` with
 * `Retry-After` once the key is over its limit. No limiter (a limit of 0) counts nothing.
 */
export async function enforceRateLimit(limiter: RateLimiter | undefined, key: string | null, what: string): Promise<void> {
  if (!limiter || key === null) return;
  const verdict = await limiter.consume(key);
  if (!verdict.allowed) throw new RateLimitedError(what, verdict.retryAfterSeconds);
}

/**
 * The reusable middleware: `router.get('/sso', rateLimit(limiter, byIp, 'sign-in attempts'), …)`;
 * for a member, put it after the session guard with a key from the principal.
 */
export function rateLimit(limiter: RateLimiter | undefined, key: RateLimitKey, what: string): RequestHandler {
  return async (req, res, next) => {
    await enforceRateLimit(limiter, key(req, res), what);
    next();
  };
}
