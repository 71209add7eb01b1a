import { SESSION_COOKIE } from '../../plugin/web/session';
import { startTestApp, type TestApp } from '../support/harness';

/** The tab says how points expire in the words of the program's policy, whichever it is. */
describe('the Rewards tab’s expiry note', () => {
  let app: TestApp;
  let cookie = '';
  beforeAll(async () => {
    app = await startTestApp();
    const token = await app.plugin.services.auth.mintSsoToken('note-1', { locale: 'en' });
    const res = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
    cookie = ((res.headers['set-cookie'] as unknown as string[]) ?? []).find((c) => c.startsWith(SESSION_COOKIE))?.split(';')[0] ?? '';
  });
  afterAll(() => app.close());

  it.each([
    [{ policy: 'months_after_earning', months: 12 }, 'Points expire 12 months after you earn them.'],
    [{ policy: 'end_of_month', months: 6 }, 'Points expire at the end of the month, 6 months after the month you earn them.'],
    [{ policy: 'end_of_year', years: 1 }, 'Points expire at the end of the year, 1 year after the year you earn them.'],
    [{ policy: 'inactivity', months: 18 }, 'Your points expire only if you earn none for 18 months.'],
    [{ policy: 'never' }, 'Your points don&#x27;t expire.'],
  ] as const)('%j', async (policy, sentence) => {
    await app.plugin.services.program.update({ points_expiry: policy });
    const page = await app.http.get('/client/rewards').set('Cookie', cookie).expect(200);
    expect(page.text).toContain(sentence);
  });
});
