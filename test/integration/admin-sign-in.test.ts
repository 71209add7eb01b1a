import { createHmac } from 'node:crypto';
import request from 'supertest';
import { ADMIN_SESSION_COOKIE, SESSION_COOKIE } from '../../plugin/web/session';
import { adminAgent, auditRows, csrfOf } from '../support/admin';
import { invoicePaid, startTestApp, TEST_SECRETS, type TestApp } from '../support/harness';

/** An admin token as a PHP panel would sign it (firebase/php-jwt, HS256). */
function phpJwt(payload: Record<string, unknown>, secret = TEST_SECRETS.sso): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part({ typ: 'JWT', alg: 'HS256' })}.${part(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

let seq = 0;
const adminToken = (app: TestApp, claims: Record<string, unknown> = {}) => {
  const now = Math.floor(app.clock.now().getTime() / 1000);
  return phpJwt({ aud: 'hosting-rewards-admin', admin: 7, name: 'Ann Admin', role: 'billing', iat: now, exp: now + 120, jti: `adm-${process.pid}-${++seq}`, ...claims });
};

const cookieOf = (res: request.Response, name: string) => ((res.headers['set-cookie'] as unknown as string[] | undefined) ?? []).find((c) => c.startsWith(`${name}=`));

describe('admin sign-in by SSO', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ mountAt: '/loyalty' });
    await app.send(invoicePaid({ client: { id: 'alice', name: 'Alice' } })).expect(200);
  });
  afterAll(() => app.close());

  it('a panel admin token signs in with an HttpOnly cookie scoped to <mount>/admin, and is audited', async () => {
    const res = await request(app.baseUrl).get(`/admin/sso?token=${adminToken(app)}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/loyalty/admin');
    const cookie = cookieOf(res, ADMIN_SESSION_COOKIE);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Path=\/loyalty\/admin/);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const page = await request(app.baseUrl).get('/admin/audit').set('Cookie', cookie!.split(';')[0]!).expect(200);
    expect(page.text).toContain('Ann Admin');
    const rows = await auditRows(app);
    expect(rows.at(-1)).toMatchObject({ actor_id: '7', actor_name: 'Ann Admin', role: 'billing', action: 'auth.sign_in', ip: expect.any(String) });
  });

  it('an admin token is single-use: the second use is refused and audited as a failed sign-in', async () => {
    const token = adminToken(app);
    await request(app.baseUrl).get(`/admin/sso?token=${token}`).expect(303);
    const again = await request(app.baseUrl).get(`/admin/sso?token=${token}`);
    expect(again.status).toBe(401);
    expect(cookieOf(again, ADMIN_SESSION_COOKIE)).toBeUndefined();
    expect((await auditRows(app)).at(-1)).toMatchObject({ action: 'auth.sign_in_failed', actor_id: 'anonymous', role: 'none' });
    expect(String((await auditRows(app)).at(-1)?.after)).toContain('sso_used');
  });

  it.each([
    ['a client token (wrong audience)', { aud: 'hosting-rewards' }],
    ['an unknown role', { role: 'god' }],
    ['no admin id', { admin: undefined }],
    ['a lifetime over five minutes', { exp: Math.floor(Date.now() / 1000) + 3600 }],
  ])('refuses %s', async (_name, claims) => {
    const res = await request(app.baseUrl).get(`/admin/sso?token=${adminToken(app, claims as Record<string, unknown>)}`);
    expect(res.status).toBe(401);
    expect(cookieOf(res, ADMIN_SESSION_COOKIE)).toBeUndefined();
  });

  it('refuses a token signed with another key', async () => {
    const now = Math.floor(app.clock.now().getTime() / 1000);
    const forged = phpJwt({ aud: 'hosting-rewards-admin', admin: 1, role: 'owner', iat: now, exp: now + 60, jti: 'forged-1' }, 'another-secret-0123456789abcdef0123456789');
    expect((await request(app.baseUrl).get(`/admin/sso?token=${forged}`)).status).toBe(401);
  });

  it("a client's session can't open the admin area", async () => {
    const sso = await request(app.baseUrl).get(`/sso?token=${await app.plugin.services.auth.mintSsoToken('alice')}`).expect(303);
    const client = cookieOf(sso, SESSION_COOKIE)!.split(';')[0]!;
    for (const path of ['/admin', '/admin/members', '/admin/audit', '/admin/redemptions']) {
      const res = await request(app.baseUrl).get(path).set('Cookie', client);
      expect(res.status).toBe(401);
      expect(res.text).not.toContain('Alice');
    }
    // Nor does a client session cookie forged into the admin cookie's name.
    const res = await request(app.baseUrl).get('/admin/audit').set('Cookie', `${ADMIN_SESSION_COOKIE}=${client.split('=')[1]}`);
    expect(res.status).toBe(401);
  });

  it('without a session every admin page asks to sign in (401), and unknown admin paths too', async () => {
    for (const path of ['/admin', '/admin/members', '/admin/nope']) expect((await request(app.baseUrl).get(path)).status).toBe(401);
  });

  it('signing out is a form of the admin bar: it clears the cookie and is audited', async () => {
    const agent = await adminAgent(app, 'viewer');
    const page = await agent.get('/admin/audit').expect(200);
    await agent.post('/admin/logout').type('form').send({ _csrf: csrfOf(page.text) }).expect(303);
    expect((await agent.get('/admin/audit')).status).toBe(401);
    expect((await auditRows(app)).at(-1)).toMatchObject({ action: 'auth.sign_out', role: 'viewer' });
  });

  it('another site cannot sign an admin out: a GET, or a POST without the token, leaves the session and writes nothing', async () => {
    const agent = await adminAgent(app, 'viewer');
    await agent.get('/admin/audit').expect(200);
    const before = (await auditRows(app)).length;
    expect((await agent.get('/admin/logout')).status).not.toBe(303);
    expect((await agent.post('/admin/logout').type('form').send({})).status).toBe(403);
    await agent.get('/admin/audit').expect(200);
    expect(await auditRows(app)).toHaveLength(before);
  });
});

describe('standalone owner sign-in', () => {
  let app: TestApp;
  afterEach(() => app.close());

  it('ADMIN_PASSWORD is stored as a bcrypt hash and signs the owner in; a wrong one is refused, audited and counts to a lockout', async () => {
    app = await startTestApp({ config: { adminPassword: 'correct horse battery', adminLockout: { failures: 3, minutes: 15 } } });
    const stored = await app.plugin.db.knex('loyalty_admin_credentials').where({ account: 'owner' }).first();
    expect(stored.password_hash).toMatch(/^\$2[aby]\$\d\d\$/);
    expect(stored.password_hash).not.toContain('correct horse');
    expect(await app.plugin.adminSetupPath()).toBeNull();

    const agent = request.agent(app.baseUrl);
    const login = async (password: string) => {
      const form = await agent.get('/admin/login').expect(200);
      return agent.post('/admin/login').type('form').send({ _csrf: csrfOf(form.text), password });
    };
    const wrong = await login('wrong password!!');
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('data-testid="login-error"');
    expect((await auditRows(app)).at(-1)).toMatchObject({ action: 'auth.sign_in_failed', target: 'admin:owner' });

    const right = await login('correct horse battery');
    expect(right.status).toBe(303);
    expect((await agent.get('/admin/audit').expect(200)).text).toContain('auth.sign_in');
    expect((await auditRows(app)).at(-1)).toMatchObject({ action: 'auth.sign_in', actor_id: 'owner', role: 'owner' });

    // A success resets the count; three failures in a row lock, even the right password.
    await login('nope nope nope 1');
    await login('nope nope nope 2');
    expect((await login('nope nope nope 3')).status).toBe(401);
    expect((await auditRows(app)).map((r) => r.action)).toContain('auth.locked_out');
    const locked = await login('correct horse battery');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(14 * 60);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);

    // When the lockout ends, 15 minutes on, the right password signs in again and the count
    // starts over.
    app.clock.advance(15 * 60_000);
    expect((await login('correct horse battery')).status).toBe(303);
    expect((await login('nope nope nope 4')).status).toBe(401);
  });

  it('limits sign-in attempts per address (429 with Retry-After)', async () => {
    app = await startTestApp({ config: { adminPassword: 'correct horse battery', rateLimits: { signInPerIp: 2, signInPerMember: 0, badWebhooksPerIp: 0, redeemPerMember: 0, redeemPerIp: 0 } } });
    const agent = request.agent(app.baseUrl);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const form = await agent.get('/admin/login').expect(200);
      statuses.push((await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(form.text), password: 'wrong password ' })).status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  it('a login post without the form token is refused (CSRF)', async () => {
    app = await startTestApp({ config: { adminPassword: 'correct horse battery' } });
    const res = await request(app.baseUrl).post('/admin/login').type('form').send({ password: 'correct horse battery' });
    expect(res.status).toBe(403);
    expect(cookieOf(res, ADMIN_SESSION_COOKIE)).toBeUndefined();
  });

  it('without a password, a one-time setup link sets it (hashed) and signs the owner in; the link then stops working', async () => {
    app = await startTestApp();
    // Only the latest link works: making one voids the one before.
    const stale = await app.plugin.adminSetupPath();
    const path = await app.plugin.adminSetupPath();
    expect((await request(app.baseUrl).get(stale!)).status).toBe(401);
    expect(path).toMatch(/^\/admin\/setup\?token=[A-Za-z0-9_-]{20,}$/);
    const agent = request.agent(app.baseUrl);
    const page = await agent.get(path!).expect(200);
    const token = /name="token" value="([^"]+)"/.exec(page.text)?.[1];
    const short = await agent.post('/admin/setup').type('form').send({ _csrf: csrfOf(page.text), token, password: 'short', confirm: 'short' });
    expect(short.status).toBe(422);
    expect(short.text).toContain('data-testid="error-password"');
    expect(Number((await app.plugin.db.knex('loyalty_admin_credentials').whereNotNull('password_hash').count({ n: '*' }).first())?.n)).toBe(0);

    const done = await agent.post('/admin/setup').type('form').send({ _csrf: csrfOf(page.text), token, password: 'a long owner password', confirm: 'a long owner password' });
    expect(done.status).toBe(303);
    await agent.get('/admin/audit').expect(200);
    expect((await auditRows(app)).map((r) => r.action)).toEqual(expect.arrayContaining(['auth.password_set', 'auth.sign_in']));
    expect((await request(app.baseUrl).get(path!)).status).toBe(401);
    const replay = await agent.post('/admin/setup').type('form').send({ _csrf: csrfOf(page.text), token, password: 'another long password', confirm: 'another long password' });
    expect(replay.status).toBe(401);
  });
});
