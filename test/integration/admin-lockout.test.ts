import request from 'supertest';
import { auditRows, csrfOf } from '../support/admin';
import { startTestApp, type TestApp } from '../support/harness';

const PASSWORD = 'correct horse battery';
const LOCKOUT = { failures: 5, minutes: 15 };

/** A browser on the sign-in page of one instance: its form's token, ready to post. */
async function signInForm(app: TestApp) {
  const agent = request.agent(app.baseUrl);
  const page = await agent.get('/admin/login').expect(200);
  const csrf = csrfOf(page.text);
  return (password: string) => agent.post('/admin/login').type('form').send({ _csrf: csrf, password });
}

const countOf = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;
const actions = async (app: TestApp, action: string) => (await auditRows(app)).filter((r) => r.action === action);

/**
 * Parallel guesses against the owner password, split over two instances on one database:
 * each check takes its place in the lockout count before bcrypt runs, so no burst gets more
 * than ADMIN_LOCKOUT_FAILURES passwords checked.
 */
describe('owner password lockout under parallel sign-ins', () => {
  let app: TestApp;
  let other: TestApp;
  beforeEach(async () => {
    app = await startTestApp({ config: { adminPassword: PASSWORD, adminLockout: LOCKOUT } });
    other = await startTestApp({ db: app.db, clock: app.clock, config: { adminPassword: PASSWORD, adminLockout: LOCKOUT } });
  });
  afterEach(async () => {
    await other.stop();
    await app.close();
  });

  it('40 wrong passwords at once: at most 5 are checked, the lockout is audited once, and then the right one is refused too', async () => {
    const forms = await Promise.all(Array.from({ length: 40 }, (_, i) => signInForm(i % 2 === 0 ? app : other)));
    const statuses = (await Promise.all(forms.map((post, i) => post(`wrong password ${i}`)))).map((r) => r.status);

    // 401 is a password checked and found wrong; 429 is refused before any check.
    expect(countOf(statuses, 401)).toBe(LOCKOUT.failures);
    expect(countOf(statuses, 429)).toBe(40 - LOCKOUT.failures);
    expect(await actions(app, 'auth.sign_in_failed')).toHaveLength(LOCKOUT.failures);
    expect(await actions(app, 'auth.locked_out')).toHaveLength(1);

    for (const instance of [app, other]) {
      const right = await (await signInForm(instance))(PASSWORD);
      expect(right.status).toBe(429);
      expect(Number(right.headers['retry-after'])).toBe(LOCKOUT.minutes * 60);
    }
    expect(await actions(app, 'auth.sign_in')).toHaveLength(0);
    expect(await actions(app, 'auth.locked_out')).toHaveLength(1);

    app.clock.advance(LOCKOUT.minutes * 60_000);
    expect((await (await signInForm(other))(PASSWORD)).status).toBe(303);
  });

  it('the right password in the middle of a burst of wrong ones: no more than 5 checks before it, and none after the count is full', async () => {
    const forms = await Promise.all(Array.from({ length: 41 }, (_, i) => signInForm(i % 2 === 0 ? app : other)));
    const responses = await Promise.all(forms.map((post, i) => post(i === 20 ? PASSWORD : `wrong password ${i}`)));
    const wrong = responses.filter((_, i) => i !== 20).map((r) => r.status);
    const right = responses[20]?.status;
    const signedIn = await actions(app, 'auth.sign_in');
    if (right === 303) {
      // It took a place in the count before it was full, and forgot the count: the wrong ones
      // checked are those before it (at most 4) and at most 5 after it.
      expect(signedIn).toHaveLength(1);
      expect(countOf(wrong, 401)).toBeLessThanOrEqual(2 * LOCKOUT.failures - 1);
    } else {
      // The count filled first: the right password was refused unchecked, as a guess would be.
      expect(right).toBe(429);
      expect(signedIn).toHaveLength(0);
      expect(countOf(wrong, 401)).toBe(LOCKOUT.failures);
      expect(await actions(app, 'auth.locked_out')).toHaveLength(1);
    }
    expect(countOf(wrong, 401) + countOf(wrong, 429)).toBe(40);
  });
});
