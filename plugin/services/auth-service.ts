import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Database } from '../db/database';
import { UnauthorizedError } from '../errors';

export const SSO_AUDIENCE = 'hosting-rewards';
/** DESIGN §7: an SSO token lives at most five minutes. */
export const SSO_MAX_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 30;
export const SESSION_LIFETIME_S = 2 * 60 * 60;

export interface ClientSession {
  clientId: string;
  locale?: string;
}

function ssoError(code: 'sso_invalid' | 'sso_expired' | 'sso_used', message: string): UnauthorizedError {
  return new UnauthorizedError(code, {
    message,
    help: 'Open Rewards again from the client area; the panel makes a fresh single-use link each time.',
  });
}

/**
 * The panel vouches for the client with a short-lived, single-use HS256 token; we swap it for
 * our own session token in an HttpOnly cookie. The client id only ever comes from a verified
 * token, never from a query string or a form.
 */
export class AuthService {
  private readonly ssoKey: Uint8Array;
  private readonly sessionKey: Uint8Array;

  constructor(
    private readonly db: Database,
    secrets: { sso: string; session: string },
    private readonly clock: () => Date,
  ) {
    this.ssoKey = new TextEncoder().encode(secrets.sso);
    this.sessionKey = new TextEncoder().encode(secrets.session);
  }

  async init(): Promise<void> {
    await this.db.repos.ssoTokens.purgeExpired(this.clock());
  }

  /** What a panel does: used by the demo panel and the tests. */
  async mintSsoToken(clientId: string, options: { locale?: string; ttlSeconds?: number; jti?: string } = {}): Promise<string> {
    const now = Math.floor(this.clock().getTime() / 1000);
    const claims = options.locale ? { locale: options.locale } : {};
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(clientId)
      .setAudience(SSO_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.ttlSeconds ?? 120))
      .setJti(options.jti ?? randomUUID())
      .sign(this.ssoKey);
  }

  async acceptSsoToken(token: string): Promise<ClientSession> {
    const now = this.clock();
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.ssoKey, {
        algorithms: ['HS256'],
        audience: SSO_AUDIENCE,
        requiredClaims: ['sub', 'exp', 'jti'],
        currentDate: now,
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw ssoError('sso_expired', 'The SSO token has expired');
      throw ssoError('sso_invalid', `The SSO token is not valid: ${(err as Error).message}`);
    }
    const exp = payload.exp as number;
    if (exp - now.getTime() / 1000 > SSO_MAX_LIFETIME_S + CLOCK_TOLERANCE_S) {
      throw ssoError('sso_invalid', `The SSO token lives longer than ${SSO_MAX_LIFETIME_S} seconds`);
    }
    const sub = payload.sub as string;
    const jti = payload.jti as string;
    if (!/^[A-Za-z0-9:._@-]{1,64}$/.test(sub) || jti.length > 128) throw ssoError('sso_invalid', 'The SSO token has a malformed sub or jti');
    const fresh = await this.db.repos.ssoTokens.markUsed(jti, sub, new Date(exp * 1000), now);
    if (!fresh) throw ssoError('sso_used', 'The SSO token was already used');
    const locale = typeof payload.locale === 'string' && payload.locale.length <= 35 ? payload.locale : undefined;
    return { clientId: sub, ...(locale && { locale }) };
  }

  async issueSession(session: ClientSession): Promise<string> {
    const now = Math.floor(this.clock().getTime() / 1000);
    return new SignJWT({ typ: 'client', ...(session.locale && { locale: session.locale }) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(session.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + SESSION_LIFETIME_S)
      .sign(this.sessionKey);
  }

  async readSession(cookie: string | undefined): Promise<ClientSession | null> {
    if (!cookie) return null;
    try {
      const { payload } = await jwtVerify(cookie, this.sessionKey, { algorithms: ['HS256'], currentDate: this.clock() });
      if (payload.typ !== 'client' || typeof payload.sub !== 'string') return null;
      return { clientId: payload.sub, ...(typeof payload.locale === 'string' && { locale: payload.locale }) };
    } catch {
      return null;
    }
  }
}
