import { Translations, type Translator } from '../../plugin/i18n';
import { cookiesOf, clientSession } from '../support/client';
import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, type TestApp } from '../support/harness';

/**
 * A signed-in client's error pages speak their Rewards tab's language: the member's stored
 * locale first, then the SSO token's, the browser's and the program's default. Before, they
 * skipped the stored locale, so a Turkish member whose panel sent no locale in the token read
 * the tab in Turkish and its refusals in their browser's English.
 */

const lang = (html: string) => /<html lang="([^"]+)"/.exec(html)?.[1];
const byTestId = (html: string, id: string) => new RegExp(`data-testid="${id}"[^>]*>([\\s\\S]*?)</`).exec(html)?.[1];
const heading = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1];

describe('error pages in the client area, in the tab’s language', () => {
  let app: TestApp;
  let tr: Translator;
  let en: Translator;
  let flexibleId = 0;
  beforeAll(async () => {
    app = await startTestApp({ config: { rateLimits: { signInPerIp: 0, signInPerMember: 0, badWebhooksPerIp: 0, redeemPerMember: 1, redeemPerIp: 0 } } });
    const translations = new Translations();
    await translations.init();
    tr = translations.for('tr');
    en = translations.for('en');
    flexibleId = (await app.plugin.db.repos.rewards.list()).find((r) => r.stepPoints === 100)?.id ?? 0;
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  /** A member stored with `locale`, signed in by a token that names none (or `tokenLocale`): their cookies. */
  async function member(clientId: string, locale: string | undefined, options: { total?: string; tokenLocale?: string } = {}): Promise<string> {
    const total = options.total ?? '900.00';
    await app.send(invoicePaid({ client: { id: clientId, ...(locale && { locale }) }, invoice: { id: `inv-${clientId}`, total, items: [{ type: 'renewal', amount: total }] } })).expect(200);
    if (options.tokenLocale === undefined) return (await clientSession(app, clientId)).join('; ');
    const token = await app.plugin.services.auth.mintSsoToken(clientId, { locale: options.tokenLocale });
    return cookiesOf(await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303)).join('; ');
  }

  /** The confirmation page of the credit in steps: a post of its form, with these fields changed. */
  async function confirmation(cookie: string) {
    const page = await app.http.get(`/client/rewards/redeem/${flexibleId}`).set('Cookie', cookie).set('Accept-Language', 'en').expect(200);
    const jar = [cookie, ...cookiesOf(page)].join('; ');
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page.text)?.[1] ?? '';
    return (fields: Record<string, string>) =>
      app.http.post(`/client/rewards/redeem/${flexibleId}`).set('Cookie', jar).set('Accept-Language', 'en').type('form').send({ _csrf: field('_csrf'), key: field('key'), points: '100', ...fields });
  }

  function expectTurkish(html: string) {
    expect(lang(html)).toBe('tr');
    expect(html).toContain(tr.t('error.back'));
    expect(html).not.toContain(en.t('error.back'));
  }

  it('the tab and a refused redemption’s 429 page both in Turkish, for a member stored as tr whose browser asks for English', async () => {
    const cookie = await member('tr-limit', 'tr');
    expect(lang((await app.http.get('/client/rewards').set('Cookie', cookie).set('Accept-Language', 'en').expect(200)).text)).toBe('tr');
    const post = await confirmation(cookie);
    await post({}).expect(303);
    const before = await tableCounts(app.plugin);
    const limited = await post({ key: 'second-confirmation-key-0001' }).expect(429);
    expectTurkish(limited.text);
    expect(byTestId(limited.text, 'error-message')).toBe(tr.t('error.rate_limited'));
    expect(byTestId(limited.text, 'error-detail')).toBe(tr.t('error.detail.rate_limited', { seconds: Number(limited.headers['retry-after']) }));
    expect(await tableCounts(app.plugin)).toEqual(before);
    expect((await app.plugin.db.repos.members.findByPanelClientId('tr-limit'))?.pointsAvailable).toBe(800);
  });

  it('a 404 in their area is Turkish: a redemption that is not theirs, a reward id that is not one, a path no route answers', async () => {
    const cookie = await member('tr-404', 'tr');
    for (const path of ['/client/redemptions/987654', '/client/rewards/redeem/not-an-id', '/client/rewards/no-such-page']) {
      const res = await app.http.get(path).set('Cookie', cookie).set('Accept', 'text/html').set('Accept-Language', 'en').expect(404);
      expectTurkish(res.text);
      expect([path, heading(res.text)]).toEqual([path, tr.t('error.title_not_found')]);
      expect([path, byTestId(res.text, 'error-message')]).toEqual([path, tr.t('error.not_found')]);
    }
    // Signed out, the same unknown path keeps the browser's language.
    const signedOut = await app.http.get('/client/rewards/no-such-page').set('Accept', 'text/html').set('Accept-Language', 'en').expect(404);
    expect(lang(signedOut.text)).toBe('en');
    expect(byTestId(signedOut.text, 'error-message')).toBe(en.t('error.not_found'));
  });

  it('a refused form (403), a bad confirmation key (422) and a bad history filter (400) are Turkish, and write nothing', async () => {
    const cookie = await member('tr-form', 'tr');
    const post = await confirmation(cookie);
    const before = await tableCounts(app.plugin);
    const forged = await post({ _csrf: 'forged' }).expect(403);
    expectTurkish(forged.text);
    expect(byTestId(forged.text, 'error-message')).toBe(tr.t('error.csrf_invalid'));
    const badKey = await post({ key: 'x' }).expect(422);
    expectTurkish(badKey.text);
    expect(byTestId(badKey.text, 'error-message')).toBe(tr.t('error.bad_request'));
    expect(await tableCounts(app.plugin)).toEqual(before);
    const filter = await app.http.get('/client/rewards?kind=everything').set('Cookie', cookie).set('Accept-Language', 'en').expect(400);
    expectTurkish(filter.text);
    expect(byTestId(filter.text, 'error-message')).toBe(tr.t('error.invalid_query'));
  });

  it('the stored locale wins over the token’s, on the tab and its error pages alike', async () => {
    const cookie = await member('tr-token-ru', 'tr', { tokenLocale: 'ru' });
    expect(lang((await app.http.get('/client/rewards').set('Cookie', cookie).expect(200)).text)).toBe('tr');
    expect(lang((await app.http.get('/client/redemptions/987654').set('Cookie', cookie).expect(404)).text)).toBe('tr');
  });

  it('a stored locale we have no file for passes to the browser’s, then the program’s, on the tab, the redemption pages and the errors alike', async () => {
    const cookie = await member('pt-member', 'pt-BR');
    const pages = ['/client/rewards', '/client/rewards/redeem', '/client/redemptions/987654'];
    const languages = async (acceptLanguage?: string) => {
      const found: Array<string | undefined> = [];
      for (const path of pages) {
        const req = app.http.get(path).set('Cookie', cookie);
        if (acceptLanguage) req.set('Accept-Language', acceptLanguage);
        found.push(lang((await req).text));
      }
      return found;
    };
    expect(await languages('pt-BR, vi;q=0.8')).toEqual(['vi', 'vi', 'vi']);
    await app.plugin.services.program.update({ default_language: 'ru' });
    try {
      expect(await languages()).toEqual(['ru', 'ru', 'ru']);
    } finally {
      await app.plugin.services.program.update({ default_language: 'en' });
    }
  });

  it('a client not enrolled yet keeps the token’s locale; signed out, the browser’s', async () => {
    const token = await app.plugin.services.auth.mintSsoToken('not-yet', { locale: 'vi' });
    const cookie = cookiesOf(await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303)).join('; ');
    expect(lang((await app.http.get('/client/redemptions/987654').set('Cookie', cookie).set('Accept-Language', 'en').expect(404)).text)).toBe('vi');
    expect(lang((await app.http.get('/client/redemptions/987654').set('Accept-Language', 'ru').expect(401)).text)).toBe('ru');
  });
});
