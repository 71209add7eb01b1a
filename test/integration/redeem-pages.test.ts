import type { PanelCapabilities } from '../../plugin/domain/panel-actions';
import type { PanelActionCall, PanelApi, PanelResult } from '../../plugin/panels/panel-api';
import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, type TestApp } from '../support/harness';
import { cookiesOf, paidClient } from '../support/client';

const REWARD_UNAVAILABLE_RU = 'Эта награда сейчас недоступна.';

class RecordingPanel implements PanelApi {
  readonly name = 'recording';
  readonly capabilities: PanelCapabilities = { invoiceDiscount: true, clientTier: true, credit: true, email: false, promoCode: false };
  readonly calls: PanelActionCall[] = [];
  async perform(call: PanelActionCall): Promise<PanelResult> {
    this.calls.push(call);
    return { reference: `CR-${this.calls.length}` };
  }
}

/** Redeeming through the client area, as a browser without JavaScript would. */
describe.each([[''], ['/loyalty']])('redemption pages (mounted at "%s")', (mountAt) => {
  let app: TestApp;
  const panel = new RecordingPanel();
  let flexibleId = 0;
  let fixedId = 0;

  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel, ...(mountAt && { mountAt }) });
    const rewards = await app.plugin.db.repos.rewards.list();
    fixedId = rewards.find((r) => r.costPoints === 500)?.id ?? 0;
    flexibleId = rewards.find((r) => r.stepPoints === 100)?.id ?? 0;
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const member = (clientId: string) => app.plugin.db.repos.members.findByPanelClientId(clientId);

  const client = (clientId: string, total: string, locale = 'en') => paidClient(app, clientId, total, locale);

  /** Opens the confirmation page: its form fields and the CSRF cookie it set. */
  async function confirmPage(jar: string[], rewardId: number) {
    const page = await app.http.get(`/client/rewards/redeem/${rewardId}`).set('Cookie', jar.join('; ')).expect(200);
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page.text)?.[1] ?? '';
    expect(page.text).toContain(`action="${mountAt}/client/rewards/redeem/${rewardId}"`);
    return { page, csrf: field('_csrf'), key: field('key'), jar: [...jar, ...cookiesOf(page)] };
  }

  const post = (form: { jar: string[]; csrf: string; key: string }, rewardId: number, extra: Record<string, string> = {}) =>
    app.http.post(`/client/rewards/redeem/${rewardId}`).set('Cookie', form.jar.join('; ')).type('form').send({ _csrf: form.csrf, key: form.key, ...extra });

  it('the tab links to the catalog, which shows what the member can have and why not', async () => {
    const jar = await client('p-1', '700.00');
    const tab = await app.http.get('/client/rewards').set('Cookie', jar.join('; ')).expect(200);
    expect(tab.text).toContain(`href="${mountAt}/client/rewards/redeem"`);
    const catalog = await app.http.get('/client/rewards/redeem').set('Cookie', jar.join('; ')).expect(200);
    expect(catalog.text).toContain('5.00 account credit');
    expect(catalog.text).toContain(`href="${mountAt}/client/rewards/redeem/${fixedId}"`);
    const poor = await client('p-poor', '200.00');
    const refused = await app.http.get('/client/rewards/redeem').set('Cookie', poor.join('; ')).expect(200);
    expect(refused.text).toMatch(/data-testid="blocked-\d+">You need 300 points more for this reward\./);
  });

  it('confirm, then see it applied; posting the same form again is the same redemption', async () => {
    const jar = await client('p-2', '900.00');
    const form = await confirmPage(jar, fixedId);
    expect(form.page.text).toContain('500 points will be taken from your balance for $5.00 of account credit.');
    const done = await post(form, fixedId).expect(303);
    expect(done.headers.location).toMatch(new RegExp(`^${mountAt}/client/redemptions/\\d+$`));
    const again = await post(form, fixedId).expect(303);
    expect(again.headers.location).toBe(done.headers.location);
    expect((await member('p-2'))?.pointsAvailable).toBe(400);

    const pending = await app.http.get(String(done.headers.location).slice(mountAt.length)).set('Cookie', jar.join('; ')).expect(200);
    expect(pending.text).toContain('data-state="pending"');
    await app.plugin.jobs.dispatchOutbox();
    const applied = await app.http.get(String(done.headers.location).slice(mountAt.length)).set('Cookie', jar.join('; ')).expect(200);
    expect(applied.text).toContain('data-state="applied"');
    expect(applied.text).toContain('Added to your account');
    expect(applied.text).toMatch(/Reference in your client area: CR-\d+/);
  });

  it('a refusal is a message on the page, in the member’s language, and nothing is written', async () => {
    const jar = await client('p-ru', '250.00', 'ru');
    const form = await confirmPage(jar, flexibleId);
    const before = await tableCounts(app.plugin);
    const res = await post(form, flexibleId, { points: '300' }).expect(422);
    expect(res.text).toContain('Для этой награды не хватает: 50 баллов.');
    expect(await tableCounts(app.plugin)).toEqual(before);
  });

  it('the terms the page showed are the terms charged: changed meanwhile, the confirmation is refused with the new ones shown', async () => {
    const jar = await client('p-terms', '1200.00');
    const form = await confirmPage(jar, fixedId);
    const terms = /name="terms" value="([^"]*)"/.exec(form.page.text)?.[1] ?? '';
    expect(terms).not.toBe('');
    const rewards = app.plugin.db.repos.rewards;
    await rewards.update(fixedId, { costPoints: 700 }, app.clock.now());
    try {
      const before = await tableCounts(app.plugin);
      const refused = await post(form, fixedId, { terms }).expect(422);
      expect(refused.text).toContain('This reward’s terms changed since you opened it. Check them and confirm again.');
      expect(refused.text).toContain('700 points will be taken from your balance for $5.00 of account credit.');
      expect(await tableCounts(app.plugin)).toEqual(before);
      // Confirmed on the terms now shown: charged those.
      const newTerms = /name="terms" value="([^"]*)"/.exec(refused.text)?.[1] ?? '';
      expect(newTerms).not.toBe(terms);
      await post(form, fixedId, { terms: newTerms }).expect(303);
      expect(await member('p-terms')).toMatchObject({ pointsAvailable: 500 });
    } finally {
      await rewards.update(fixedId, { costPoints: 500 }, app.clock.now());
    }
  });

  it('a reward switched off while its page was open: the refusal is on that page, in the member’s language', async () => {
    const jar = await client('p-off', '700.00', 'ru');
    const form = await confirmPage(jar, fixedId);
    const rewards = app.plugin.db.repos.rewards;
    await rewards.update(fixedId, { active: false }, app.clock.now());
    try {
      const refused = await post(form, fixedId).expect(422);
      expect(refused.text).toContain('lang="ru"');
      expect(refused.text).toContain(REWARD_UNAVAILABLE_RU);
      expect(await member('p-off')).toMatchObject({ pointsAvailable: 700 });
    } finally {
      await rewards.update(fixedId, { active: true }, app.clock.now());
    }
  });

  it('points are digits only, refused on the page otherwise, and a body it cannot read is a 400, not a 500; nothing is written', async () => {
    const jar = await client('p-body', '900.00');
    const form = await confirmPage(jar, flexibleId);
    const before = await tableCounts(app.plugin);
    for (const points of ['1e2', '0x64', '+100', '１００']) {
      const res = await post(form, flexibleId, { points }).expect(422);
      expect({ points, refused: /data-testid="refusal">Choose an amount in the steps shown, at least the minimum.</.test(res.text) }).toEqual({ points, refused: true });
    }
    const raw = (headers: Record<string, string>, body: string) =>
      app.http.post(`/client/rewards/redeem/${flexibleId}`).set('Cookie', form.jar.join('; ')).set(headers).send(body);
    const fields = `_csrf=${encodeURIComponent(form.csrf)}&key=${encodeURIComponent(form.key)}&points=100&${'a&'.repeat(1_500)}`;
    await raw({ 'content-type': 'application/x-www-form-urlencoded' }, fields).expect(400);
    await raw({ 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' }, 'not gzip').expect(400);
    expect(await tableCounts(app.plugin)).toEqual(before);
  });

  it('without the form token, nothing happens', async () => {
    const jar = await client('p-csrf', '900.00');
    const form = await confirmPage(jar, fixedId);
    await post({ ...form, csrf: 'forged' }, fixedId).expect(403);
    expect((await member('p-csrf'))?.pointsAvailable).toBe(900);
  });

  it('a client sees only their own redemptions: another one’s id answers 404', async () => {
    const owner = await client('p-owner', '900.00');
    const done = await post(await confirmPage(owner, fixedId), fixedId).expect(303);
    const other = await client('p-other', '900.00');
    await app.http.get(String(done.headers.location).slice(mountAt.length)).set('Cookie', other.join('; ')).expect(404);
    await app.http.get('/client/redemptions/abc').set('Cookie', other.join('; ')).expect(404);
    await app.http.get('/client/rewards/redeem/999999').set('Cookie', other.join('; ')).expect(404);
  });

  it('no overspend over real HTTP: 100 parallel confirmations against a balance that covers 10', async () => {
    const jar = await client('p-race', '1000.00');
    const forms = await Promise.all(Array.from({ length: 100 }, () => confirmPage(jar, flexibleId)));
    const answers = await Promise.all(forms.map((f) => post(f, flexibleId, { points: '100' })));
    expect(answers.filter((a) => a.status === 303)).toHaveLength(10);
    expect(answers.filter((a) => a.status === 422)).toHaveLength(90);
    expect((await member('p-race'))?.pointsAvailable).toBe(0);
  });

  it('needs a session', async () => {
    await app.http.get('/client/rewards/redeem').expect(401);
  });
});

describe('redemption rate limits', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ config: { rateLimits: { signInPerIp: 0, signInPerMember: 0, badWebhooksPerIp: 0, redeemPerMember: 3, redeemPerIp: 5 } } });
  });
  afterAll(() => app.close());

  /** A member with 900 points, signed in, on the confirmation page of the credit in steps: a post of that form. */
  async function confirmationForm(clientId: string, locale = 'en'): Promise<(points: string) => ReturnType<TestApp['http']['post']>> {
    await app.send(invoicePaid({ client: { id: clientId, locale }, invoice: { id: `LIM-${clientId}`, total: '900.00', items: [{ type: 'renewal', amount: '900.00' }] } })).expect(200);
    // The token names the member's language too; their stored locale decides either way, on the error page as on the tab.
    const token = await app.plugin.services.auth.mintSsoToken(clientId, { locale });
    const sso = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
    const jar = ((sso.headers['set-cookie'] as unknown as string[]) ?? []).map((c) => c.split(';')[0] ?? '');
    const rewardId = (await app.plugin.db.repos.rewards.list()).find((r) => r.stepPoints === 100)?.id ?? 0;
    const page = await app.http.get(`/client/rewards/redeem/${rewardId}`).set('Cookie', jar.join('; ')).expect(200);
    const cookies = [...jar, ...((page.headers['set-cookie'] as unknown as string[]) ?? []).map((c) => c.split(';')[0] ?? '')].join('; ');
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page.text)?.[1] ?? '';
    return (points) => app.http.post(`/client/rewards/redeem/${rewardId}`).set('Cookie', cookies).type('form').send({ _csrf: field('_csrf'), key: `${field('key')}${points}`, points });
  }
  const available = async (clientId: string) => (await app.plugin.db.repos.members.findByPanelClientId(clientId))?.pointsAvailable;

  it('counts confirmations per member: over the limit answers 429 with Retry-After, and redeems nothing', async () => {
    const post = await confirmationForm('p-limit');
    for (const points of ['100', '200', '300']) await post(points).expect(303);
    const limited = await post('400').expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(await available('p-limit')).toBe(300);
    await expectBalancesConsistent(app.plugin);
  });

  it("counts confirmations per address, all members together: over the limit a 429 page in the member's language, with Retry-After, and nothing redeemed", async () => {
    await app.plugin.db.knex('loyalty_rate_limits').delete();
    const first = await confirmationForm('p-ip-1');
    const second = await confirmationForm('p-ip-2');
    const third = await confirmationForm('p-ip-3', 'ru');
    // Five from one address, each member under their own limit of three.
    for (const [post, points] of [[first, '100'], [first, '200'], [second, '100'], [second, '200'], [third, '100']] as const) await post(points).expect(303);
    const limited = await third('200').expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['content-type']).toMatch(/^text\/html/);
    expect(limited.text).toContain('<html lang="ru"');
    expect(limited.text).toContain('Слишком много попыток. Подождите минуту и попробуйте снова.');
    expect(await available('p-ip-3')).toBe(800);
    await expectBalancesConsistent(app.plugin);
  });
});
