import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { Database } from '../db/database';
import { fieldProblems, type FieldProblem } from '../domain/validation';
import { UnauthorizedError, type ErrorCode, type PageText } from '../errors';

export const SSO_AUDIENCE = 'hosting-rewards';
/** The admin SSO token's audience: a client token can never sign anyone into the admin area. */
export const ADMIN_SSO_AUDIENCE = 'hosting-rewards-admin';
/** DESIGN §7: an SSO token lives at most five minutes. */
export const SSO_MAX_LIFETIME_S = 300;
export const DEFAULT_CLOCK_SKEW_S = 60;
export const SESSION_LIFETIME_S = 2 * 60 * 60;
/** An admin session is shorter: someone with money-moving rights should not stay signed in all day. */
export const ADMIN_SESSION_LIFETIME_S = 60 * 60;

export const ADMIN_ROLES = ['viewer', 'billing', 'owner'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/**
 * Who a session speaks for. Only the panel (through SSO) can make one; the client id never
 * comes from a query string or a form. An admin comes from the panel's admin SSO, or is the
 * standalone owner (password or setup link).
 */
export type Principal =
  | { kind: 'client'; clientId: string; locale?: string; returnUrl?: string }
  /** `session` is the admin session the request came with (absent on a sign-in's principal, before it has one). */
  | { kind: 'admin'; adminId: string; name: string; role: AdminRole; session?: AdminSession };
export type PrincipalKind = Principal['kind'];
export type PrincipalOf<K extends PrincipalKind> = Extract<Principal, { kind: K }>;
export type ClientPrincipal = PrincipalOf<'client'>;
export type AdminPrincipal = PrincipalOf<'admin'>;

/** One admin session: its token's `jti`, by which signing out revokes it, and the token's expiry. */
export interface AdminSession {
  id: string;
  expiresAt: Date;
}

/**
 * A panel's client id as we store and compare it: a decimal string. PHP panels pass integers
 * (`JWT::encode(['sub' => 42])` writes `"sub":42`), so a non-negative safe integer is read as
 * its decimal string; anything else must already be a string of the allowed characters.
 */
export function clientIdFrom(sub: unknown): string | null {
  if (typeof sub === 'number') return Number.isSafeInteger(sub) && sub >= 0 ? String(sub) : null;
  return typeof sub === 'string' && /^[A-Za-z0-9:._@-]{1,64}$/.test(sub) ? sub : null;
}

/** What is wrong with a token's times, or null when they fit. Seconds since the epoch. */
export function tokenTimeProblem(
  claims: { iat?: number; nbf?: number; exp: number },
  now: number,
  skew: number,
): { code: Extract<ErrorCode, 'sso_invalid' | 'sso_expired'>; message: string; detail: PageText } | null {
  const within = `the allowed clock skew is ${skew} s (SSO_CLOCK_SKEW_SECONDS)`;
  const ahead = (claim: 'iat' | 'nbf', what: string, at: number) => {
    const by = Math.round(at - now);
    return {
      code: 'sso_invalid' as const,
      message: `The SSO token's ${what} is ${by} s in the future: the panel's clock is ahead of this server's by about ${by} s, and ${within}. Sync the panel's clock (NTP).`,
      detail: { key: 'error.detail.sso_clock_ahead', params: { claim, seconds: by, skew } },
    };
  };
  if (claims.exp <= now - skew) {
    const ago = Math.round(now - claims.exp);
    return {
      code: 'sso_expired',
      message: `The SSO token expired ${ago} s ago; ${within}. If the link was fresh, the panel's clock is behind this server's by about ${ago} s.`,
      detail: { key: 'error.detail.sso_expired_ago', params: { seconds: ago, skew } },
    };
  }
  if (claims.iat !== undefined && claims.iat > now + skew) return ahead('iat', 'iat (issued at)', claims.iat);
  if (claims.nbf !== undefined && claims.nbf > now + skew) return ahead('nbf', 'nbf (not before)', claims.nbf);
  if (claims.iat !== undefined && claims.exp - claims.iat > SSO_MAX_LIFETIME_S) {
    const lives = Math.round(claims.exp - claims.iat);
    return {
      code: 'sso_invalid',
      message: `The SSO token lives ${lives} s from iat to exp, longer than the ${SSO_MAX_LIFETIME_S} s allowed. Set exp at most ${SSO_MAX_LIFETIME_S} s after iat.`,
      detail: { key: 'error.detail.sso_lifetime', params: { seconds: lives, max: SSO_MAX_LIFETIME_S } },
    };
  }
  // Without iat, only our own clock can bound the lifetime.
  if (claims.iat === undefined && claims.exp - now > SSO_MAX_LIFETIME_S + skew) {
    const left = Math.round(claims.exp - now);
    return {
      code: 'sso_invalid',
      message: `The SSO token expires ${left} s from now, more than ${SSO_MAX_LIFETIME_S} s plus the clock skew (${skew} s). Set exp at most ${SSO_MAX_LIFETIME_S} s ahead, and send iat.`,
      detail: { key: 'error.detail.sso_expires_far', params: { seconds: left, max: SSO_MAX_LIFETIME_S, skew } },
    };
  }
  return null;
}

const SSO_HELP = {
  client: 'Open Rewards again from the client area; the panel makes a fresh single-use link each time.',
  admin: "Open the Rewards admin again from the panel's admin area; it makes a fresh single-use link each time.",
};

/** `detail`: what the error page tells the provider; without one it says what the code does. */
function ssoError(
  code: Extract<ErrorCode, 'sso_invalid' | 'sso_expired' | 'sso_used'>,
  message: string,
  detail?: PageText,
  fields?: FieldProblem[],
  kind: PrincipalKind = 'client',
): UnauthorizedError {
  return new UnauthorizedError(code, {
    message,
    help: SSO_HELP[kind],
    ...(detail && { detail }),
    ...(fields && { fields }),
  });
}

/** The claims named, for the error page. */
const badClaims = (claims: string): PageText => ({ key: 'error.detail.sso_claims', params: { claims } });
/** A token jose refused for anything but a claim: not a JWT, another algorithm, another key. */
const NOT_OUR_JWT: PageText = { key: 'error.detail.sso_token_invalid' };

const time = z.number().finite('must be a number of seconds');

/**
 * Every claim we read, with its JSON type: a claim of another type is refused naming it, so
 * nothing reaches SQL or the session as it came (a `jti` array, an object `sub`). Other
 * claims pass through untouched.
 */
const ssoClaims = z.looseObject({
  jti: z.string('must be a string').min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  sub: z.union(
    [
      z.string().regex(/^[A-Za-z0-9:._@-]{1,64}$/),
      z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    ],
    'must be a string of A-Z a-z 0-9 : . _ @ - (at most 64) or a non-negative integer',
  ),
  exp: time,
  iat: time.optional(),
  nbf: time.optional(),
  locale: z.string('must be a string').max(35, 'must be at most 35 characters').optional(),
});

const ADMIN_ID = /^[A-Za-z0-9:._@-]{1,64}$/;
/** An admin session's id, as issueSession makes it (a UUID). */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The admin SSO token's claims: the admin's id (`admin`; `admin_id` or `sub` are read when it
 * is absent), their name for the audit log, and their role.
 */
const adminSsoClaims = z.looseObject({
  jti: ssoClaims.shape.jti,
  exp: time,
  iat: time.optional(),
  nbf: time.optional(),
  admin: z.union([z.string().regex(ADMIN_ID), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)], 'must be a string of A-Z a-z 0-9 : . _ @ - (at most 64) or a non-negative integer').optional(),
  admin_id: z.union([z.string().regex(ADMIN_ID), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)], 'must be a string of A-Z a-z 0-9 : . _ @ - (at most 64) or a non-negative integer').optional(),
  sub: z.union([z.string().regex(ADMIN_ID), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)], 'must be a string of A-Z a-z 0-9 : . _ @ - (at most 64) or a non-negative integer').optional(),
  name: z.string('must be a string').trim().min(1, 'must not be empty').max(190, 'must be at most 190 characters').optional(),
  role: z.enum(ADMIN_ROLES, `must be one of ${ADMIN_ROLES.join(', ')}`),
});

/**
 * The panel vouches for the client with a short-lived, single-use HS256 token; we swap it for
 * our own session token in an HttpOnly cookie.
 */
export class AuthService {
  private readonly ssoKey: Uint8Array;
  private readonly sessionKey: Uint8Array;
  private readonly skew: number;
  /** The panel's origin (PANEL_ORIGIN): a token's `return_url` must be on it. */
  private readonly panelOrigin: string | undefined;

  constructor(
    private readonly db: Database,
    secrets: { sso: string; session: string },
    private readonly clock: () => Date,
    options: { clockSkewSeconds?: number; panelOrigin?: string } = {},
  ) {
    this.panelOrigin = options.panelOrigin;
    this.ssoKey = new TextEncoder().encode(secrets.sso);
    this.sessionKey = new TextEncoder().encode(secrets.session);
    this.skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_S;
  }

  /**
   * A used jti must be kept as long as its token could still be accepted, which is until
   * exp plus the skew; only older ones go.
   */
  async init(): Promise<void> {
    await this.db.repos.ssoTokens.purgeExpired(new Date(this.clock().getTime() - this.skew * 1000));
  }

  /** What a panel does: used by the demo panel and the tests. */
  async mintSsoToken(clientId: string, options: { locale?: string; ttlSeconds?: number; jti?: string; returnUrl?: string } = {}): Promise<string> {
    const now = Math.floor(this.clock().getTime() / 1000);
    const claims = { ...(options.locale && { locale: options.locale }), ...(options.returnUrl && { return_url: options.returnUrl }) };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(clientId)
      .setAudience(SSO_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.ttlSeconds ?? 120))
      .setJti(options.jti ?? randomUUID())
      .sign(this.ssoKey);
  }

  async acceptSsoToken(token: string): Promise<ClientPrincipal> {
    const now = this.clock();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.ssoKey, {
        algorithms: ['HS256'],
        audience: SSO_AUDIENCE,
        requiredClaims: ['sub', 'exp', 'jti'],
        currentDate: now,
        // The times are judged by tokenTimeProblem, so the refusal can say which clock is off.
        clockTolerance: Number.POSITIVE_INFINITY,
      }));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        throw ssoError('sso_invalid', `The SSO token's ${err.claim} claim is not valid: ${message}`, badClaims(err.claim), [{ path: err.claim, message: err.reason }]);
      }
      throw ssoError('sso_invalid', `The SSO token is not valid: ${message}`, NOT_OUR_JWT);
    }
    const parsed = ssoClaims.safeParse(payload);
    if (!parsed.success) {
      const fields = fieldProblems(parsed.error, payload);
      throw ssoError('sso_invalid', `The SSO token's ${fields.map((f) => `${f.path} claim ${f.message}`).join('; ')}`, badClaims(fields.map((f) => f.path).join(', ')), fields);
    }
    const { exp, iat, nbf, jti, sub, locale } = parsed.data;
    const times = tokenTimeProblem({ exp, iat, nbf }, now.getTime() / 1000, this.skew);
    if (times) throw ssoError(times.code, times.message, times.detail);
    const clientId = String(sub);
    // Every check before the token is spent: a refused token is not used up.
    const returnUrl = this.returnUrlFrom(payload.return_url);
    const fresh = await this.db.repos.ssoTokens.markUsed(jti, clientId, new Date(exp * 1000), now);
    if (!fresh) throw ssoError('sso_used', 'The SSO token was already used');
    return { kind: 'client', clientId, ...(locale && { locale }), ...(returnUrl && { returnUrl }) };
  }

  /** What a panel's admin side does: used by the demo panel and the tests. */
  async mintAdminSsoToken(admin: { id: string; name?: string; role: AdminRole }, options: { ttlSeconds?: number; jti?: string } = {}): Promise<string> {
    const now = Math.floor(this.clock().getTime() / 1000);
    return new SignJWT({ admin: admin.id, role: admin.role, ...(admin.name !== undefined && { name: admin.name }) })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience(ADMIN_SSO_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.ttlSeconds ?? 120))
      .setJti(options.jti ?? randomUUID())
      .sign(this.ssoKey);
  }

  /**
   * The admin side of SSO: the same checks as a client's token (HS256 with SSO_SECRET, times,
   * single-use jti), with the admin audience and the admin's id, name and role.
   */
  async acceptAdminSsoToken(token: string): Promise<AdminPrincipal> {
    const now = this.clock();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.ssoKey, {
        algorithms: ['HS256'],
        audience: ADMIN_SSO_AUDIENCE,
        requiredClaims: ['exp', 'jti'],
        currentDate: now,
        clockTolerance: Number.POSITIVE_INFINITY,
      }));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        throw ssoError('sso_invalid', `The admin SSO token's ${err.claim} claim is not valid: ${message}`, badClaims(err.claim), [{ path: err.claim, message: err.reason }], 'admin');
      }
      throw ssoError('sso_invalid', `The admin SSO token is not valid: ${message}`, NOT_OUR_JWT, undefined, 'admin');
    }
    const parsed = adminSsoClaims.safeParse(payload);
    if (!parsed.success) {
      const fields = fieldProblems(parsed.error, payload);
      throw ssoError('sso_invalid', `The admin SSO token's ${fields.map((f) => `${f.path} claim ${f.message}`).join('; ')}`, badClaims(fields.map((f) => f.path).join(', ')), fields, 'admin');
    }
    const { exp, iat, nbf, jti, role, name } = parsed.data;
    const id = parsed.data.admin ?? parsed.data.admin_id ?? parsed.data.sub;
    if (id === undefined) {
      throw ssoError(
        'sso_invalid',
        "The admin SSO token names no admin: set the admin claim (or sub) to the admin's id",
        { key: 'error.detail.sso_no_admin' },
        [{ path: 'admin', message: 'is required' }],
        'admin',
      );
    }
    const times = tokenTimeProblem({ exp, iat, nbf }, now.getTime() / 1000, this.skew);
    if (times) throw ssoError(times.code, times.message, times.detail, undefined, 'admin');
    const adminId = String(id);
    const fresh = await this.db.repos.ssoTokens.markUsed(jti, `admin:${adminId}`, new Date(exp * 1000), now);
    if (!fresh) throw ssoError('sso_used', 'The admin SSO token was already used', undefined, undefined, 'admin');
    return { kind: 'admin', adminId, name: name ?? adminId, role };
  }

  /**
   * The optional `return_url` claim: where "back to the client area" leads. Only a URL on the
   * panel's own origin (PANEL_ORIGIN) is taken, so a token can't turn the tab into a link
   * to anywhere else.
   */
  private returnUrlFrom(claim: unknown): string | undefined {
    if (claim === undefined) return undefined;
    if (!this.panelOrigin) {
      throw ssoError('sso_invalid', "The SSO token has a return_url, but PANEL_ORIGIN is not set, so it cannot be checked. Set PANEL_ORIGIN to the panel's origin.", {
        key: 'error.detail.sso_return_url_unchecked',
      });
    }
    let url: URL | null = null;
    try {
      url = typeof claim === 'string' && claim.length <= 2000 ? new URL(claim) : null;
    } catch {
      url = null;
    }
    if (!url || url.origin !== new URL(this.panelOrigin).origin) {
      throw ssoError('sso_invalid', `The SSO token's return_url must be an absolute URL on PANEL_ORIGIN (${this.panelOrigin}).`, {
        key: 'error.detail.sso_return_url_elsewhere',
        params: { origin: this.panelOrigin },
      });
    }
    return url.href;
  }

  async issueSession(principal: Principal): Promise<string> {
    const now = Math.floor(this.clock().getTime() / 1000);
    if (principal.kind === 'admin') {
      return new SignJWT({ typ: 'admin', name: principal.name, role: principal.role })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(principal.adminId)
        .setIssuedAt(now)
        .setExpirationTime(now + ADMIN_SESSION_LIFETIME_S)
        .setJti(randomUUID())
        .sign(this.sessionKey);
    }
    return new SignJWT({ typ: 'client', ...(principal.locale && { locale: principal.locale }), ...(principal.returnUrl && { return_url: principal.returnUrl }) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(principal.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + SESSION_LIFETIME_S)
      .sign(this.sessionKey);
  }

  async readSession(cookie: string | undefined): Promise<Principal | null> {
    if (!cookie) return null;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(cookie, this.sessionKey, { algorithms: ['HS256'], currentDate: this.clock() }));
    } catch {
      return null;
    }
    if (payload.typ === 'admin') {
      const role = ADMIN_ROLES.find((r) => r === payload.role);
      const adminId = typeof payload.sub === 'string' && ADMIN_ID.test(payload.sub) ? payload.sub : null;
      // A token without an id (issued before sessions had one) could not be signed out: refused.
      const sessionId = typeof payload.jti === 'string' && SESSION_ID.test(payload.jti) ? payload.jti : null;
      if (!role || adminId === null || sessionId === null || typeof payload.exp !== 'number') return null;
      // A signed-out session's token stays well signed until it expires: the database says it ended.
      if (await this.db.repos.adminSessions.isRevoked(sessionId)) return null;
      const session = { id: sessionId, expiresAt: new Date(payload.exp * 1000) };
      return { kind: 'admin', adminId, role, name: typeof payload.name === 'string' ? payload.name : adminId, session };
    }
    const clientId = clientIdFrom(payload.sub);
    if (payload.typ !== 'client' || clientId === null) return null;
    return {
      kind: 'client',
      clientId,
      ...(typeof payload.locale === 'string' && { locale: payload.locale }),
      // Checked when the SSO token was accepted; the session is ours and signed.
      ...(typeof payload.return_url === 'string' && { returnUrl: payload.return_url }),
    };
  }
}
