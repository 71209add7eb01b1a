import { SignJWT } from 'jose';
import request from 'supertest';
import { ADMIN_SESSION_COOKIE } from '../../plugin/web/session';
import { auditRows, csrfOf } from '../support/admin';
import { startTestApp, TEST_SECRETS, type TestApp } from '../support/harness';

const PASSWORD = 'correct horse battery';

/** The admin cookie an SSO sign-in sets, as a copy of it would be replayed (`hr_admin=…`). */
async function ssoCookie(app: TestApp, admin: { id: string; role: 'viewer' | 'billing' | 'owner' }): Promise<string> {
  const token = await app.plugin.services.auth.mintAdminSsoToken({ ...admin, name: admin.id });
  const res = await request(app.baseUrl).get(`/admin/sso?token=${encodeURIComponent(token)}`).expect(303);
  return cookieOf(res);
}

function cookieOf(res: request.Response): string {
  const cookie = ((res.headers['set-cookie'] as unknown as string[] | undefined) ?? []).find((c) => c.startsWith(`${ADMIN_SESSION_COOKIE}=`));
  if (!cookie) throw new Error(`no admin cookie set: ${res.status}`);
  return cookie.split(';')[0] ?? '';
}

/** Signs out as the bar's button does: the page's form token and its CSRF cookie, with this session's cookie. */
async function signOut(app: TestApp, cookie: string): Promise<void> {
  const page = await request(app.baseUrl).get('/admin').set('Cookie', cookie).expect(200);
  const csrfCookies = ((page.headers['set-cookie'] as unknown as string[] | undefined) ?? []).map((c) => c.split(';')[0] ?? '');
  await request(app.baseUrl)
    .post('/admin/logout')
    .set('Cookie', [cookie, ...csrfCookies])
    .type('form')
    .send({ _csrf: csrfOf(page.text) })
    .expect(303);
}

const opens = async (app: TestApp, cookie: string, path = '/admin/settings') => (await request(app.baseUrl).get(path).set('Cookie', cookie)).status;

describe('signing out ends the admin session on the server', () => {
  let app: TestApp;
  let other: TestApp;
  beforeEach(async () => {
    app = await startTestApp({ config: { adminPassword: PASSWORD } });
    other = await startTestApp({ db: app.db, clock: app.clock, config: { adminPassword: PASSWORD } });
  });
  afterEach(async () => {
    await other.stop();
    await app.close();
  });

  it("a copy of the cookie taken before signing out no longer opens the admin area, on any instance; the admin's other session goes on", async () => {
    const cookie = await ssoCookie(app, { id: 'o1', role: 'owner' });
    const elsewhere = await ssoCookie(app, { id: 'o1', role: 'owner' });
    expect(await opens(app, cookie)).toBe(200);

    await signOut(app, cookie);

    for (const instance of [app, other]) {
      for (const path of ['/admin', '/admin/settings', '/admin/members']) {
        const res = await request(instance.baseUrl).get(path).set('Cookie', cookie);
        expect(res.status).toBe(401);
        expect(res.text).not.toContain('data-testid="admin-bar"');
        expect(res.text).toContain('data-testid="admin-back"');
        // The admin's own sign-in advice, not the client area's "open Rewards from your client area".
        expect(res.text).toContain('Your admin session has ended or was signed out.');
        expect(res.text).not.toContain('from your client area');
      }
    }
    // Nor does it post anything: a sign-out's copy can't act either.
    expect((await request(other.baseUrl).post('/admin/logout').set('Cookie', cookie).type('form').send({})).status).toBe(401);

    expect(await opens(app, elsewhere)).toBe(200);
    expect(await opens(other, elsewhere)).toBe(200);
    expect((await auditRows(app)).filter((r) => r.action === 'auth.sign_out')).toHaveLength(1);
  });

  it("the owner's password session is signed out the same way", async () => {
    const agent = request.agent(app.baseUrl);
    const form = await agent.get('/admin/login').expect(200);
    const cookie = cookieOf(await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(form.text), password: PASSWORD }).expect(303));
    expect(await opens(other, cookie)).toBe(200);
    await signOut(other, cookie);
    expect(await opens(app, cookie)).toBe(401);
    expect(await opens(other, cookie)).toBe(401);
  });

  it('a revoked session is kept on the list only until its token expires', async () => {
    const first = await ssoCookie(app, { id: 'b1', role: 'billing' });
    await signOut(app, first);
    const revoked = () => app.plugin.db.knex('loyalty_admin_revoked_sessions').orderBy('revoked_at');
    expect(await revoked()).toEqual([expect.objectContaining({ admin_id: 'b1' })]);

    app.clock.advance(60 * 60_000 + 1_000);
    // Expired by then: refused by its token alone.
    expect(await opens(app, first, '/admin')).toBe(401);
    const second = await ssoCookie(app, { id: 'b2', role: 'billing' });
    await signOut(app, second);
    expect(await revoked()).toEqual([expect.objectContaining({ admin_id: 'b2' })]);
  });

  it('an admin session token without a session id (one that could not be signed out) is refused', async () => {
    const now = Math.floor(app.clock.now().getTime() / 1000);
    const legacy = await new SignJWT({ typ: 'admin', name: 'O', role: 'owner' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('o1')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(TEST_SECRETS.session));
    expect(await opens(app, `${ADMIN_SESSION_COOKIE}=${legacy}`, '/admin')).toBe(401);
  });
});
