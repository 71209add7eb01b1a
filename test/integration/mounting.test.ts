import { SESSION_COOKIE } from '../../plugin/web/session';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

type Headers = Record<string, unknown>;
const setCookies = (res: { headers: Headers }) => (res.headers['set-cookie'] as string[] | undefined) ?? [];
const cookieHeader = (res: { headers: Headers }) => setCookies(res).map((c) => c.split(';')[0]).join('; ');
const cookieNamed = (res: { headers: Headers }, name: string) => setCookies(res).find((c) => c.startsWith(`${name}=`));
/** Handlebars writes `=` in attributes as `&#x3D;`; the browser reads it back as `=`. */
const unescape = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
const hrefs = (html: string) => [...unescape(html).matchAll(/(?:href|action)="([^"]*)"/g)].map((m) => m[1] as string);

/** The whole client flow, with the plugin's router at the root and under a prefix, as a host mounts it. */
describe.each([
  ['at the root', ''],
  ['under /loyalty', '/loyalty'],
])('mounted %s', (_name, mount) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ mountAt: mount || undefined });
    for (let n = 1; n <= 25; n++) {
      await app
        .send(invoicePaid({ client: { id: 'm-1', name: 'Mia Mount', currency: 'EUR' }, invoice: { id: `M-${n}`, currency: 'EUR', total: `${n}.00`, items: [] } }))
        .expect(200);
    }
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  async function signIn(clientId: string) {
    const token = await app.plugin.services.auth.mintSsoToken(clientId);
    return app.http.get(`/sso?token=${encodeURIComponent(token)}`);
  }

  it('SSO redirects inside the mount and scopes the session cookie to it', async () => {
    const res = await signIn('m-1');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${mount}/client/rewards`);
    const raw = cookieNamed(res, SESSION_COOKIE);
    expect(raw).toMatch(/HttpOnly/i);
    expect(raw).toContain(`Path=${mount || '/'}`);
    // Not also at the root, where the panel (or another app) lives.
    if (mount) expect(raw).not.toMatch(/Path=\/(;|$)/);
  });

  it('renders the tab with its stylesheet and history links inside the mount', async () => {
    const cookie = cookieHeader(await signIn('m-1'));
    const page = await app.http.get('/client/rewards').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('Mia Mount');
    const links = hrefs(page.text);
    const css = links.find((h) => h.endsWith('rewards.css'));
    expect(css).toBe(`${mount}/assets/rewards.css`);
    const asset = await app.http.get(css!.slice(mount.length)).expect(200);
    expect(asset.headers['content-type']).toMatch(/text\/css/);
    // Every link the page has stays inside the mount (the skip link is a fragment).
    for (const h of links.filter((l) => !l.startsWith('#'))) expect(h.startsWith(`${mount}/`)).toBe(true);

    const older = links.find((h) => h.includes('before='));
    expect(older).toMatch(new RegExp(`^${mount}/client/rewards\\?before=\\d+$`));
    const second = await app.http.get(older!.slice(mount.length)).set('Cookie', cookie).expect(200);
    expect(second.text.replace(/<span class="ref">([^<]*)<\/span>/g, '$1')).toContain('Invoice #M-5 paid');
    expect(hrefs(second.text)).toContain(`${mount}/client/rewards`);
  });

  it('answers errors by area: JSON from the webhook and health, pages from the client area', async () => {
    const hook = await app.http.post('/hooks/events').set('Accept', 'text/html').send('{}').expect(401);
    expect(hook.headers['content-type']).toMatch(/application\/json/);
    expect(Object.keys(hook.body)).toEqual(['error', 'message', 'help', 'fields', 'request_id']);
    expect(hook.body.error).toBe('invalid_signature');
    const missing = await app.http.get('/hooks/nothing-here').set('Accept', 'text/html').expect(404);
    expect(missing.body).toMatchObject({ error: 'not_found' });
    await app.http.get('/healthz').expect(200).expect('content-type', /application\/json/);

    // A person's page, even when the caller says it prefers JSON: the area decides.
    const tab = await app.http.get('/client/rewards').set('Accept', 'application/json').expect(401);
    expect(tab.headers['content-type']).toMatch(/text\/html/);
    expect(tab.text).toContain('data-testid="error-message"');
    expect(hrefs(tab.text)).toContain(`${mount}/assets/rewards.css`);
    const sso = await app.http.get('/sso?token=not-a-token').set('Accept', 'application/json').expect(401);
    expect(sso.headers['content-type']).toMatch(/text\/html/);
  });

  it('answers an unknown path by the caller’s Accept header, having no area to go by', async () => {
    await app.http.get('/no/such/page').set('Accept', 'text/html').expect(404).expect('content-type', /text\/html/);
    const json = await app.http.get('/no/such/page').set('Accept', 'application/json').expect(404);
    expect(json.body).toMatchObject({ error: 'not_found' });
  });
});

describe.each([
  ['at the root', ''],
  ['under /loyalty', '/loyalty'],
])('demo panel mounted %s', (_name, mount) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ panel: 'demo', realTime: true, mountAt: mount || undefined });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('links, forms, the SSO hop and its cookies stay inside the mount', async () => {
    const home = await app.http.get('/').expect(200);
    const links = hrefs(home.text);
    expect(links).toContain(`${mount}/demo/open/demo-1`);
    expect(links).toContain(`${mount}/demo/events#result`);
    expect(links).toContain(`${mount}/assets/rewards.css`);
    for (const name of ['hr_anon', 'hr_csrf']) expect(cookieNamed(home, name)).toContain(`Path=${mount || '/'}`);

    const open = await app.http.get('/demo/open/demo-1').expect(303);
    expect(open.headers.location).toMatch(new RegExp(`^${mount}/sso\\?token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    const sso = await app.http.get(open.headers.location!.slice(mount.length)).expect(303);
    expect(sso.headers.location).toBe(`${mount}/client/rewards`);
    await app.http.get('/client/rewards').set('Cookie', cookieHeader(sso)).expect(200);
  });

  it('fires its events at the webhook under the same mount', async () => {
    const home = await app.http.get('/').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(home.text)?.[1];
    const res = await app.http
      .post('/demo/events')
      .set('Cookie', cookieHeader(home))
      .type('form')
      .send({ _csrf: csrf, client: 'demo-1', type: 'invoice.paid', amount: '10.00' })
      .expect(200);
    expect(res.text).toMatch(/data-testid="result-status">200</);
    expect(res.text).toContain('&quot;outcome&quot;: &quot;applied&quot;');
  });
});
