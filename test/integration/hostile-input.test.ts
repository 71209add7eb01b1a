import { SignJWT } from 'jose';
import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, TEST_SECRETS, type TestApp } from '../support/harness';

/** Issue 7, defects 1 and 5: input an attacker or a broken panel sends. */
describe('hostile input', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  afterEach(() => expectBalancesConsistent(app.plugin));

  describe('deeply nested JSON (defect 1)', () => {
    it('answers 422 naming the path for 3,100 levels in a 6 KB body, fast, and writes nothing', async () => {
      const before = await tableCounts(app.plugin);
      const event = invoicePaid({ client: { id: 'c-deep' } });
      const body = JSON.stringify({ ...event, extra: '__DEEP__' }).replace('"__DEEP__"', `${'['.repeat(3100)}${']'.repeat(3100)}`);
      expect(body.length).toBeLessThan(7 * 1024);
      const started = Date.now();
      const res = await app.send(event, { body });
      expect(res.status).toBe(422);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(res.body.error).toBe('validation_failed');
      expect(res.body.fields[0].path).toMatch(/^extra(\.0){31}/);
      expect(res.body.fields[0].message).toMatch(/nested deeper than 32/);
      expect(await tableCounts(app.plugin)).toEqual(before);
    });

    it('refuses deep objects inside a known field too, and at 200,000 levels still no 500', async () => {
      const event = invoicePaid({ client: { id: 'c-deep2' } });
      let nested = '1';
      for (let i = 0; i < 40; i++) nested = `{"a":${nested}}`;
      const body = JSON.stringify(event).replace('"client":{', `"client":{"meta":${nested},`);
      const res = await app.send(event, { body }).expect(422);
      expect(res.body.fields[0].path).toMatch(/^client\.meta(\.a){30}/);
      const huge = JSON.stringify({ ...event, extra: '__DEEP__' }).replace('"__DEEP__"', `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
      const res2 = await app.send(event, { body: huge });
      expect(res2.status).toBe(422);
    });

    it('still takes an event nested exactly as deep as the contract needs', async () => {
      await app.send(invoicePaid({ client: { id: 'c-shallow' } })).expect(200);
    });
  });

  describe('SSO claims of the wrong JSON type (defect 5)', () => {
    const key = new TextEncoder().encode(TEST_SECRETS.sso);
    const sign = (claims: Record<string, unknown>) => {
      const now = Math.floor(app.clock.now().getTime() / 1000);
      return new SignJWT({ sub: 'c-sso', aud: 'hosting-rewards', iat: now, exp: now + 120, jti: `j-${Math.random()}`, ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(key);
    };
    const ssoCount = async () => Number((await app.plugin.db.knex('loyalty_sso_tokens').count({ n: '*' }).first())?.n ?? 0);

    it.each([
      ['jti', ['a', 'b']],
      ['jti', ''],
      ['jti', 42],
      ['jti', { id: 'x' }],
      ['jti', 'x'.repeat(129)],
      ['sub', { id: 1 }],
      ['sub', -1],
      ['sub', 1.5],
      ['sub', ['42']],
      ['sub', true],
      ['iat', '123'],
      ['nbf', [1]],
      ['locale', 7],
      ['locale', { lang: 'en' }],
    ])('refuses %s = %j with 401 naming the claim, and stores nothing', async (claim, value) => {
      const before = await ssoCount();
      const token = await sign({ [claim]: value });
      await expect(app.plugin.services.auth.acceptSsoToken(token)).rejects.toMatchObject({ status: 401, code: 'sso_invalid', fields: [{ path: claim }] });
      const res = await app.http.get('/sso').query({ token });
      expect(res.status).toBe(401);
      expect(res.text).toContain(`These claims of the SSO token are not valid: ${claim}.`);
      expect(await ssoCount()).toBe(before);
    });

    it('refuses a token without exp or with a string exp naming exp', async () => {
      const res = await app.http.get('/sso').query({ token: await sign({ exp: 'soon' }) });
      expect(res.status).toBe(401);
      expect(res.text).toContain('exp');
    });

    it('still takes a well-typed token, with an integer sub and a locale', async () => {
      const token = await sign({ sub: 42, locale: 'ru' });
      await app.http.get('/sso').query({ token }).expect(303);
    });
  });
});
