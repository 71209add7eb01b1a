import { SignJWT } from 'jose';
import { SESSION_COOKIE } from '../../plugin/web/client-router';
import { expectBalancesConsistent, invoicePaid, startTestApp, TEST_SECRETS, type TestApp } from '../support/harness';

const key = new TextEncoder().encode(TEST_SECRETS.sso);

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
});
