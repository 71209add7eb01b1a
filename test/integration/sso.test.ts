import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { AuthService } from '../../plugin/services/auth-service';
import { SESSION_COOKIE } from '../../plugin/web/session';
import { expectBalancesConsistent, invoicePaid, startTestApp, TEST_SECRETS, type TestApp } from '../support/harness';

const key = new TextEncoder().encode(TEST_SECRETS.sso);

/**
 * Signs as firebase/php-jwt's `JWT::encode($payload, $key, 'HS256')` does: its header, and the
 * payload as PHP's json_encode writes it, so `'sub' => 42` is the JSON number 42.
 */
function phpJwt(payload: Record<string, unknown>, secret = TEST_SECRETS.sso): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part({ typ: 'JWT', alg: 'HS256' })}.${part(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

let jtiSeq = 0;
/** A panel's token whose clock is `aheadS` seconds ahead of ours (negative: behind); iat and exp as a PHP panel sets them. */
function panelToken(app: TestApp, options: { sub?: unknown; aheadS?: number; ttlS?: number; iat?: boolean } = {}): string {
  const panelNow = Math.floor(app.clock.now().getTime() / 1000) + (options.aheadS ?? 0);
  return phpJwt({
    sub: 'sub' in options ? options.sub : 42,
    aud: 'hosting-rewards',
    ...(options.iat !== false && { iat: panelNow }),
    exp: panelNow + (options.ttlS ?? 120),
    jti: `php-${process.pid}-${++jtiSeq}`,
  });
}

const detail = (html: string) => /data-testid="error-detail">([^<]*)</.exec(html)?.[1]?.replace(/&#x27;/g, "'");

/** Follows /sso and returns the session cookie it set (or the failed response). */
async function signIn(app: TestApp, token: string) {
  const res = await app.http.get(`/sso?token=${encodeURIComponent(token)}`);
  const cookie = (res.headers['set-cookie'] as unknown as string[] | undefined)?.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return { res, cookie: cookie?.split(';')[0] };
}

describe('client SSO', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    await app.send(invoicePaid({ client: { id: 'alice', name: 'Alice Example' } })).expect(200);
    await app.send(invoicePaid({ client: { id: 'bob', name: 'Bob Example' }, invoice: { total: '7.00', items: [] } })).expect(200);
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('a valid token sets an HttpOnly, SameSite=Lax session cookie and redirects to the tab', async () => {
    const { res, cookie } = await signIn(app, await app.plugin.services.auth.mintSsoToken('alice'));
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/client/rewards');
    const raw = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(SESSION_COOKIE))!;
    expect(raw).toMatch(/HttpOnly/i);
    expect(raw).toMatch(/SameSite=Lax/i);
    const page = await app.http.get('/client/rewards').set('Cookie', cookie!).expect(200);
    expect(page.text).toContain('Alice Example');
  });

  it('a reused token is refused', async () => {
    const token = await app.plugin.services.auth.mintSsoToken('alice');
    expect((await signIn(app, token)).res.status).toBe(303);
    const again = await signIn(app, token);
    expect(again.res.status).toBe(401);
    expect(again.cookie).toBeUndefined();
    expect(again.res.text).toContain('already been used');
  });

  it('an expired token is refused', async () => {
    const token = await app.plugin.services.auth.mintSsoToken('alice', { ttlSeconds: 60 });
    app.clock.advance(2 * 60_000);
    const { res, cookie } = await signIn(app, token);
    app.clock.advance(-2 * 60_000);
    expect(res.status).toBe(401);
    expect(cookie).toBeUndefined();
    expect(res.text).toContain('expired');
  });

  it('a token valid for more than five minutes is refused', async () => {
    const { res } = await signIn(app, await app.plugin.services.auth.mintSsoToken('alice', { ttlSeconds: 3600 }));
    expect(res.status).toBe(401);
  });

  it('a tampered token (sub changed, signature kept) is refused', async () => {
    const token = await app.plugin.services.auth.mintSsoToken('alice');
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'bob' })).toString('base64url');
    const { res, cookie } = await signIn(app, `${header}.${forged}.${signature}`);
    expect(res.status).toBe(401);
    expect(cookie).toBeUndefined();
  });

  it.each([
    ['signed with another secret', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setAudience('hosting-rewards').setExpirationTime('2m').setJti('j1').sign(new TextEncoder().encode('x'.repeat(40)))],
    ['for another audience', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setAudience('other-app').setExpirationTime('2m').setJti('j2').sign(key)],
    ['without a jti', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setAudience('hosting-rewards').setExpirationTime('2m').sign(key)],
    ['without an exp', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setAudience('hosting-rewards').setJti('j3').sign(key)],
    ['unsigned (alg none)', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'alice', aud: 'hosting-rewards', exp: 9999999999, jti: 'j4' })).toString('base64url')}.`],
    ['garbage', async () => 'not-a-token'],
  ])('a token %s is refused', async (_name, make) => {
    const { res, cookie } = await signIn(app, await make());
    expect(res.status).toBe(401);
    expect(cookie).toBeUndefined();
  });

  it('a missing token is refused', async () => {
    expect((await app.http.get('/sso')).status).toBe(401);
  });

  it("a client sees only their own data: query strings can't switch the client", async () => {
    const { cookie } = await signIn(app, await app.plugin.services.auth.mintSsoToken('bob'));
    for (const path of ['/client/rewards?client=alice', '/client/rewards?client_id=alice&sub=alice', '/client/rewards?clientId=alice']) {
      const page = await app.http.get(path).set('Cookie', cookie!).expect(200);
      expect(page.text).toContain('Bob Example');
      expect(page.text).not.toContain('Alice Example');
      expect(page.text).toMatch(/data-testid="balance">7</);
    }
  });

  it('a forged or missing session cookie gets no data', async () => {
    expect((await app.http.get('/client/rewards')).status).toBe(401);
    const forged = await new SignJWT({ typ: 'client' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('1h').sign(key);
    const res = await app.http.get('/client/rewards').set('Cookie', `${SESSION_COOKIE}=${forged}`);
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('Alice Example');
  });

  it('a session ends after its lifetime', async () => {
    const { cookie } = await signIn(app, await app.plugin.services.auth.mintSsoToken('alice'));
    app.clock.advance(3 * 60 * 60_000);
    try {
      expect((await app.http.get('/client/rewards').set('Cookie', cookie!)).status).toBe(401);
    } finally {
      app.clock.advance(-3 * 60 * 60_000);
    }
  });

  describe('a PHP panel (firebase/php-jwt)', () => {
    it('signs in a client whose id it passes as an integer, and the tab shows client "42"', async () => {
      await app.send(invoicePaid({ client: { id: '42', name: 'Numeric Nora' }, invoice: { total: '42.00', items: [] } })).expect(200);
      const token = panelToken(app, { sub: 42 });
      expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())).toMatchObject({ sub: 42 });
      const { res, cookie } = await signIn(app, token);
      expect(res.status).toBe(303);
      const page = await app.http.get('/client/rewards').set('Cookie', cookie!).expect(200);
      expect(page.text).toContain('Numeric Nora');
      expect(page.text).toMatch(/data-testid="balance">42</);
    });

    it('reads a numeric sub in the session token as the same decimal string', async () => {
      const session = await new SignJWT({ typ: 'client' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(TEST_SECRETS.session));
      const numeric = phpJwt({ ...JSON.parse(Buffer.from(session.split('.')[1]!, 'base64url').toString()), sub: 42 }, TEST_SECRETS.session);
      await expect(app.plugin.services.auth.readSession(numeric)).resolves.toEqual({ kind: 'client', clientId: '42' });
    });

    it.each([[-1], [4.5], [2 ** 53], ['<script>'], [true], [null]])('refuses sub %p', async (sub) => {
      const { res, cookie } = await signIn(app, panelToken(app, { sub }));
      expect(res.status).toBe(401);
      expect(cookie).toBeUndefined();
    });
  });

  describe('clock skew (SSO_CLOCK_SKEW_SECONDS, default 60 s)', () => {
    it.each([
      ['31 s ahead, a full 300 s token', { aheadS: 31, ttlS: 300 }],
      ['59 s ahead', { aheadS: 59 }],
      ['59 s behind, the token 59 s past exp', { aheadS: -179, ttlS: 120 }],
    ])('accepts a panel %s', async (_name, options) => {
      const { res, cookie } = await signIn(app, panelToken(app, options));
      expect(res.status).toBe(303);
      expect(cookie).toBeDefined();
    });

    it('refuses a panel 61 s ahead, saying its clock is ahead by about 61 s', async () => {
      const { res, cookie } = await signIn(app, panelToken(app, { aheadS: 61, ttlS: 300 }));
      expect(res.status).toBe(401);
      expect(cookie).toBeUndefined();
      expect(detail(res.text)).toMatch(/panel's clock is ahead of this server's by about 61 s/);
      expect(detail(res.text)).toMatch(/allowed clock skew is 60 s/);
      expect(detail(res.text)).not.toMatch(/longer than/);
    });

    it('refuses a token 61 s past its exp, saying by how much', async () => {
      const { res } = await signIn(app, panelToken(app, { aheadS: -181, ttlS: 120 }));
      expect(res.status).toBe(401);
      expect(res.text).toContain('expired');
      expect(detail(res.text)).toMatch(/^The SSO token expired 61 s ago; the allowed clock skew is 60 s/);
    });

    it('calls a token too long-lived only when it is', async () => {
      const { res } = await signIn(app, panelToken(app, { ttlS: 301 }));
      expect(res.status).toBe(401);
      expect(detail(res.text)).toMatch(/lives 301 s from iat to exp, longer than the 300 s allowed/);
      const noIat = await signIn(app, panelToken(app, { ttlS: 361, iat: false }));
      expect(noIat.res.status).toBe(401);
      expect(detail(noIat.res.text)).toMatch(/expires 361 s from now, more than 300 s plus the clock skew \(60 s\)/);
      expect((await signIn(app, panelToken(app, { ttlS: 359, iat: false }))).res.status).toBe(303);
    });

    it('follows the setting', async () => {
      const auth = new AuthService(app.plugin.db, TEST_SECRETS, app.clock.now, { clockSkewSeconds: 10 });
      await expect(auth.acceptSsoToken(panelToken(app, { aheadS: 9 }))).resolves.toMatchObject({ clientId: '42' });
      await expect(auth.acceptSsoToken(panelToken(app, { aheadS: 11 }))).rejects.toMatchObject({
        code: 'sso_invalid',
        message: expect.stringMatching(/ahead of this server's by about 11 s, and the allowed clock skew is 10 s/),
      });
      await expect(auth.acceptSsoToken(panelToken(app, { aheadS: -129, ttlS: 120 }))).resolves.toMatchObject({ clientId: '42' });
      await expect(auth.acceptSsoToken(panelToken(app, { aheadS: -131, ttlS: 120 }))).rejects.toMatchObject({ code: 'sso_expired' });
    });

    it('keeps a used jti until exp plus the skew, across a restart', async () => {
      const token = panelToken(app, { ttlS: 60 });
      expect((await signIn(app, token)).res.status).toBe(303);
      app.clock.advance(90_000);
      try {
        // Past exp but within the skew: the token would still verify, so its jti must survive the start-up purge.
        await app.plugin.services.auth.init();
        const again = await signIn(app, token);
        expect(again.res.status).toBe(401);
        expect(again.res.text).toContain('already been used');
      } finally {
        app.clock.advance(-90_000);
      }
    });
  });
});
