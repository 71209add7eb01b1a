import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';

function cookies(res: { headers: Record<string, unknown> }): string {
  return ((res.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]).join('; ');
}

describe('demo panel', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ panel: 'demo', realTime: true });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('seeds demo clients with points, idempotently across restarts', async () => {
    const home = await app.http.get('/').expect(200);
    for (const id of ['demo-1', 'demo-2', 'demo-3', 'demo-4', 'demo-5']) expect(home.text).toContain(`data-client="${id}"`);
    expect((await app.plugin.db.repos.members.findByPanelClientId('demo-1'))?.pointsAvailable).toBe(59);
    await app.plugin.demo!.init();
    expect((await app.plugin.db.repos.members.findByPanelClientId('demo-1'))?.pointsAvailable).toBe(59);
  });

  it('opens a client’s Rewards tab through a real SSO token', async () => {
    const open = await app.http.get('/demo/open/demo-2').expect(303);
    expect(open.headers.location).toMatch(/^\/sso\?token=[\w-]+\.[\w-]+\.[\w-]+$/);
    const sso = await app.http.get(open.headers.location!).expect(303);
    const tab = await app.http.get('/client/rewards').set('Cookie', cookies(sso)).expect(200);
    expect(tab.text).toContain('Иван Петров');
  });

  it('refuses the event form without a CSRF token, writing nothing', async () => {
    const before = await app.plugin.db.repos.events.count();
    const res = await app.http
      .post('/demo/events')
      .type('form')
      .send({ client: 'demo-1', type: 'invoice.paid', amount: '10.00' });
    expect(res.status).toBe(403);
    expect(await app.plugin.db.repos.events.count()).toBe(before);
  });

  /** Loads the demo page like a browser, then submits its form with the page's CSRF token. */
  async function fire(fields: Record<string, string>) {
    const home = await app.http.get('/').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(home.text)?.[1];
    expect(csrf).toBeDefined();
    return app.http.post('/demo/events').set('Cookie', cookies(home)).type('form').send({ _csrf: csrf, ...fields }).expect(200);
  }

  it('fires a signed event through the real webhook path', async () => {
    const res = await fire({ client: 'demo-1', type: 'invoice.paid', amount: '10.00' });
    expect(res.text).toMatch(/data-testid="result-status">200</);
    expect(res.text).toContain('&quot;outcome&quot;: &quot;applied&quot;');
    expect((await app.plugin.db.repos.members.findByPanelClientId('demo-1'))?.pointsAvailable).toBe(69);
  });

  it('shows the plugin’s validation answer for a bad amount', async () => {
    const res = await fire({ client: 'demo-1', type: 'invoice.paid', amount: '-5' });
    expect(res.text).toMatch(/data-testid="result-status">422</);
    expect(res.text).toContain('must not be negative');
  });
});
