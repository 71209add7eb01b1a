import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { SESSION_COOKIE } from '../../plugin/web/session';
import { adminAgent, csrfOf, type AdminAgent } from '../support/admin';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';
import { routesOf, type RouteInfo } from '../support/routes';
import { rolesWith } from '../../plugin/domain/roles';
import { ADMIN_PAGES } from '../../plugin/web/pages';

const EVIL = '<script>alert("pwn")</script>';
/** Sign-in pages: reachable without a session by design. */
const PUBLIC = new Set(['/admin/sso', '/admin/login', '/admin/setup']);

describe('admin security, over every route the admin router declares', () => {
  let app: TestApp;
  let routes: RouteInfo[];
  let owner: AdminAgent;
  let viewer: AdminAgent;
  const ids: Record<string, number> = {};

  /** A concrete URL for a route: its parameters filled with the records made below. */
  const urlOf = (path: string) =>
    path
      .replace(/\/members\/:id/, `/members/${ids.member}`)
      .replace(/\/redemptions\/:id/, `/redemptions/${ids.redemption}`)
      .replace(/:actionId/, String(ids.action))
      .replace(/:[A-Za-z]+/g, '1');

  const tableCounts = async () => {
    const out: Record<string, number> = {};
    for (const t of ['loyalty_ledger', 'loyalty_lots', 'loyalty_outbox', 'loyalty_redemptions', 'loyalty_settings', 'loyalty_members']) {
      out[t] = Number((await app.plugin.db.knex(t).count({ n: '*' }).first())?.n ?? 0);
    }
    return out;
  };

  beforeAll(async () => {
    app = await startTestApp();
    routes = routesOf(app.plugin.router).filter((r) => r.path.startsWith('/admin'));
    await app.send(invoicePaid({ client: { id: 'evil-1', name: EVIL, email: 'evil@example.com' }, invoice: { id: 'inv-evil', total: '900.00', items: [{ type: 'renewal', amount: '900.00' }] } })).expect(200);
    const member = await app.plugin.db.repos.members.findByPanelClientId('evil-1');
    ids.member = member?.id ?? 0;
    const reward = (await app.plugin.db.repos.rewards.list()).find((r) => r.costPoints === 500);
    const redeemed = await app.plugin.services.redemptions.redeem('evil-1', { rewardId: reward?.id ?? 0, idempotencyKey: randomBytes(12).toString('base64url') });
    ids.redemption = redeemed.ok ? redeemed.redemption.id : 0;
    ids.action = (await app.plugin.db.repos.outbox.findByKey(redeemed.ok ? redeemed.redemption.actionKey : ''))?.id ?? 0;
    owner = await adminAgent(app, 'owner', { name: EVIL });
    viewer = await adminAgent(app, 'viewer');
    // A reason with script in it, in the ledger and the audit log.
    const page = (await owner.get(`/admin/members/${ids.member}`).expect(200)).text;
    const key = /data-testid="adjust-form">[\s\S]*?name="key" value="([^"]+)"/.exec(page)?.[1];
    await owner.post(`/admin/members/${ids.member}/adjust`).type('form').send({ _csrf: csrfOf(page), key, direction: 'add', points: '7', reason: EVIL }).expect(303);
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('finds the admin routes in the router stack', () => {
    const list = routes.map((r) => `${r.method} ${r.path}`);
    expect(list).toEqual(expect.arrayContaining(['GET /admin/members', 'POST /admin/members/:id/adjust', 'POST /admin/members/:id/credit', 'POST /admin/redemptions/:id/cancel', 'GET /admin/audit']));
    expect(routes.filter((r) => r.method === 'POST').length).toBeGreaterThanOrEqual(6);
  });

  it('opens each declared admin page (manifest.json, navigation) to exactly the roles holding its permission', async () => {
    const billing = await adminAgent(app, 'billing');
    const agents = { owner, billing, viewer } as const;
    for (const page of ADMIN_PAGES) {
      for (const [role, agent] of Object.entries(agents)) {
        const status = (await agent.get(page.path)).status;
        const allowed = (rolesWith(page.permission) as string[]).includes(role);
        expect({ page: page.path, role, status }).toEqual({ page: page.path, role, status: allowed ? 200 : 403 });
      }
    }
  });

  it("refuses a viewer's POST with 403 on every admin route, writing nothing", async () => {
    const before = await tableCounts();
    const posts = routes.filter((r) => r.method === 'POST');
    for (const route of posts) {
      const res = await viewer.post(urlOf(route.path)).type('form').send({ key: randomBytes(18).toString('base64url'), points: '5', direction: 'add', reason: 'x', amount: '1.00', currency: 'USD', password: 'x' });
      expect({ route: route.path, status: res.status }).toEqual({ route: route.path, status: 403 });
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('asks for a session (401) on every admin route but the sign-in ones, and a client session is not one', async () => {
    const sso = await request(app.baseUrl).get(`/sso?token=${await app.plugin.services.auth.mintSsoToken('evil-1')}`).expect(303);
    const client = ((sso.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '').split(';')[0] ?? '';
    for (const route of routes.filter((r) => !PUBLIC.has(r.path))) {
      for (const cookie of [undefined, client]) {
        const req = route.method === 'POST' ? request(app.baseUrl).post(urlOf(route.path)).type('form').send({}) : request(app.baseUrl).get(urlOf(route.path));
        const res = await (cookie ? req.set('Cookie', cookie) : req);
        expect({ route: `${route.method} ${route.path}`, status: res.status }).toEqual({ route: `${route.method} ${route.path}`, status: 401 });
      }
    }
  });

  it('refuses every admin POST without a valid CSRF token (403), even for an owner', async () => {
    const before = await tableCounts();
    for (const route of routes.filter((r) => r.method === 'POST')) {
      const res = await owner.post(urlOf(route.path)).type('form').send({ _csrf: 'forged', key: randomBytes(18).toString('base64url'), points: '5', direction: 'add', reason: 'x' });
      expect({ route: route.path, status: res.status }).toEqual({ route: route.path, status: 403 });
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('answers a body it cannot read with a 4xx on every admin POST, never a 500, writing nothing', async () => {
    const before = await tableCounts();
    const page = (await owner.get(`/admin/members/${ids.member}`).expect(200)).text;
    const tooManyFields = `_csrf=${encodeURIComponent(csrfOf(page))}&${Array.from({ length: 250 }, (_, i) => `x${i}=1`).join('&')}`;
    for (const route of routes.filter((r) => r.method === 'POST')) {
      const bodies: Array<[string, Record<string, string>, string]> = [
        ['too many fields', { 'content-type': 'application/x-www-form-urlencoded' }, tooManyFields],
        ['a corrupt gzip body', { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' }, 'not gzip'],
        ['multipart without a boundary', { 'content-type': 'multipart/form-data' }, 'garbage'],
        ['multipart cut short', { 'content-type': 'multipart/form-data; boundary=XYZ' }, '--XYZ\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\nabc\r\n--XYZ'],
      ];
      for (const [what, headers, body] of bodies) {
        const res = await owner.post(urlOf(route.path)).set(headers).send(body);
        expect({ route: route.path, what, status: res.status >= 400 && res.status < 500 }).toEqual({ route: route.path, what, status: true });
      }
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('escapes script from a member name, an admin name and a reason on every admin page', async () => {
    // CSV downloads are not pages (text/csv, attachment): admin-export.test.ts checks their cells are neutralised.
    const gets = routes.filter((r) => r.method === 'GET' && !PUBLIC.has(r.path) && !r.path.endsWith('.csv'));
    expect(gets.length).toBeGreaterThanOrEqual(4);
    for (const route of gets) {
      const res = await owner.get(urlOf(route.path));
      expect({ route: route.path, ok: res.status < 400 || res.status === 404 }).toEqual({ route: route.path, ok: true });
      expect(res.text).not.toContain('<script>');
    }
    const member = (await owner.get(`/admin/members/${ids.member}`)).text;
    expect(member).toContain('&lt;script&gt;alert(&quot;pwn&quot;)&lt;/script&gt;');
  });
});
