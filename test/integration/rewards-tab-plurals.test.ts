import { clientSession } from '../support/client';
import { readable } from '../support/english';
import { deactivateRules, expectBalancesConsistent, invoicePaid, serviceEvent, startTestApp, type TestApp } from '../support/harness';

/**
 * The tab says a count in the number's form, in each language: "1 month", "1 on-time renewal",
 * "1 месяц", "5 месяцев". The presenter passes the number its strings' plural forms go by.
 */
describe('the Rewards tab counts in the number’s form', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ program: { refund_window_days: 0, earn_rates: { USD: '1' } } });
    await deactivateRules(app.plugin);
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const tab = async (clientId: string, locale: string) => {
    await app.plugin.db.knex('loyalty_members').where({ panel_client_id: clientId }).update({ locale });
    return readable((await app.http.get('/client/rewards').set('Cookie', await clientSession(app, clientId)).expect(200)).text);
  };

  it.each<[{ policy: 'months_after_earning' | 'inactivity'; months: number }, string, string]>([
    [{ policy: 'months_after_earning', months: 1 }, 'en', 'Points expire 1 month after you earn them.'],
    [{ policy: 'months_after_earning', months: 2 }, 'en', 'Points expire 2 months after you earn them.'],
    [{ policy: 'months_after_earning', months: 1 }, 'ru', 'Баллы сгорают через 1 месяц после начисления.'],
    [{ policy: 'months_after_earning', months: 3 }, 'ru', 'Баллы сгорают через 3 месяца после начисления.'],
    [{ policy: 'months_after_earning', months: 12 }, 'ru', 'Баллы сгорают через 12 месяцев после начисления.'],
    [{ policy: 'inactivity', months: 1 }, 'en', 'Your points expire only if you earn none for 1 month.'],
    [{ policy: 'inactivity', months: 21 }, 'ru', 'Баллы сгорают, только если вы не получаете новых баллов 21 месяц подряд.'],
    [{ policy: 'inactivity', months: 6 }, 'tr', 'Puanlarınızın süresi yalnızca 6 ay boyunca hiç puan kazanmazsanız dolar.'],
  ])('%j in %s: "%s"', async (policy, locale, note) => {
    await app.plugin.services.program.update({ points_expiry: policy });
    try {
      const client = `note-${policy.policy}-${policy.months}-${locale}`;
      await app.send(invoicePaid({ client: { id: client }, invoice: { id: `N-${client}`, total: '10.00', items: [{ type: 'new', amount: '10.00' }] } })).expect(200);
      expect(await tab(client, locale)).toContain(note);
    } finally {
      await app.plugin.services.program.update({ points_expiry: null });
    }
  });

  it('a streak of one renewal, and one renewal to go, in English and Russian', async () => {
    await deactivateRules(app.plugin);
    await app.plugin.services.program.addRule({ type: 'renewal_streak', active: true, params: { streak: 1, points: 5, repeat: true } });
    await app.plugin.services.program.addRule({ type: 'renewal_streak', active: true, params: { streak: 2, points: 9 } });
    const client = 'streaker';
    await app.send(serviceEvent('service.created', client, { id: 'S', billing_cycle: 'monthly' }, { occurred_at: '2026-09-01T10:00:00Z' })).expect(200);
    await app.send(serviceEvent('service.renewed', client, { id: 'S', billing_cycle: 'monthly', due_date: '2026-10-01' }, { tag: 'r1', occurred_at: '2026-10-01T08:00:00Z' })).expect(200);

    const en = await tab(client, 'en');
    expect(en).toContain('1 on-time renewal in a row: 5 points, service #S');
    expect(en).toContain('Next streak reward after 1 more on-time renewal: 5 points');
    expect(en).not.toMatch(/renewal\(s\)|1 on-time renewals|1 more on-time renewals/);

    const ru = await tab(client, 'ru');
    expect(ru).toContain('1 продление вовремя подряд — бонус 5 баллов, услуга №S');
    expect(ru).toContain('после ещё 1 продления вовремя: 5 баллов');

    await app.send(serviceEvent('service.renewed', client, { id: 'S', billing_cycle: 'monthly', due_date: '2026-11-01' }, { tag: 'r2', occurred_at: '2026-11-01T08:00:00Z' })).expect(200);
    expect(await tab(client, 'en')).toContain('2 on-time renewals in a row: 9 points, service #S');
    expect(await tab(client, 'ru')).toContain('2 продления вовремя подряд — бонус 9 баллов, услуга №S');
  });
});
