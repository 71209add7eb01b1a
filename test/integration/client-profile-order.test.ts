import type { RuleInput } from '../../plugin/services/program-service';
import { clientSession } from '../support/client';
import { clientEvent, deactivateRules, expectBalancesConsistent, invoicePaid, memberOf, serviceEvent, startTestApp, type TestApp, type WireEvent } from '../support/harness';

/**
 * The member's profile from `client.created` and `client.updated`, the same whichever order they
 * and the client's other events are delivered in (DESIGN §5.1). Each case in both delivery
 * orders, on SQLite and MariaDB (TEST_DATABASE_URL):
 * - a `client.created` delivered after another event enrolled the client from an id alone brings
 *   its profile (email, name, locale, currency), and the signup bonus stays once;
 * - profile events dated ahead of our clock (the contract takes `occurred_at` up to a day ahead)
 *   are ordered by their own instants, not by when they happened to be delivered.
 */

type Answer = { outcome: string; points: number; detail?: string };

const orders = [
  ['in order', [0, 1]],
  ['reversed', [1, 0]],
] as const;

const key = (name: string) => name.replace(/\W+/g, '-');

describe('client profiles in either delivery order', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ program: { refund_window_days: 0, earn_rates: { USD: '1', VND: '0.0001' } } });
  });
  afterAll(() => app.close());
  afterEach(async () => {
    await expectBalancesConsistent(app.plugin);
    await deactivateRules(app.plugin);
  });

  const add = (input: Omit<RuleInput, 'active'>) => app.plugin.services.program.addRule({ active: true, ...input });
  const send = async (event: WireEvent) => (await app.send(event).expect(200)).body as Answer;
  /** An instant `minutes` from the plugin's clock: positive is ahead of it, as a panel clock may be. */
  const ahead = (minutes: number) => new Date(app.clock.now().getTime() + minutes * 60_000).toISOString();

  describe('client.created after an earlier event of the client', () => {
    it.each(orders)('a Vietnamese client’s profile reaches the member and the tab, and the signup bonus is given once (%s)', async (name, order) => {
      await add({ type: 'signup', params: { points: 50 } });
      const id = `vn-${key(name)}`;
      const events = [
        { ...serviceEvent('service.created', id, { id: 'S', currency: 'VND' }), client: { id } },
        { ...clientEvent('client.created', id), client: { id, email: `${id}@example.vn`, name: 'Nguyễn Văn Minh', locale: 'vi', currency: 'VND' } },
      ];
      const answers = [];
      for (const i of order) answers.push(await send(events[i] as WireEvent));
      expect(answers.reduce((s, a) => s + a.points, 0)).toBe(50);
      expect(await memberOf(app.plugin, id)).toMatchObject({ email: `${id}@example.vn`, name: 'Nguyễn Văn Minh', locale: 'vi', currency: 'VND', pointsAvailable: 50 });
      // Another client.created for the same client (a new event id) gives nothing more.
      expect(await send({ ...(events[1] as WireEvent), id: `${(events[1] as WireEvent).id}:again` })).toMatchObject({ points: 0, detail: 'already_enrolled' });
      const html = (await app.http.get('/client/rewards').set('Cookie', await clientSession(app, id)).expect(200)).text;
      expect(html).toMatch(/<html lang="vi"/);
      // How to earn, in the member's currency (not the default currency's "1 point for every $1.00").
      const firstWay = /data-testid="how-to-earn">\s*<li>([^<]*)<\/li>/.exec(html)?.[1]?.replace(/\s/g, ' ');
      expect(firstWay).toBe('1 điểm cho mỗi 10.000 ₫ thanh toán');
    });

    it.each(orders)('an older client.created fills what the newer client.updated left, and undoes none of it (%s)', async (name, order) => {
      const id = `cc-${key(name)}`;
      const events = [
        { ...clientEvent('client.created', id), occurred_at: '2026-11-22T09:00:00Z', client: { id, email: `${id}@example.com`, name: 'Ann Lee', locale: 'en', currency: 'EUR' } },
        { ...clientEvent('client.updated', id), occurred_at: '2026-11-22T10:00:00Z', client: { id, locale: 'ru', status: 'Closed' } },
      ];
      for (const i of order) await send(events[i] as WireEvent);
      expect(await memberOf(app.plugin, id)).toMatchObject({
        email: `${id}@example.com`,
        name: 'Ann Lee',
        locale: 'ru',
        currency: 'EUR',
        status: 'closed',
        profileAt: new Date('2026-11-22T10:00:00Z'),
      });
    });

    it.each(orders)('a newer client.created sets the profile an invoice’s client block enrolled, currency too (%s)', async (name, order) => {
      const id = `ci-${key(name)}`;
      const events = [
        invoicePaid({ client: { id, name: 'A. Lee', locale: 'en', currency: 'USD' }, invoice: { id: `${id}-1` }, occurred_at: '2026-11-22T09:00:00Z' }),
        { ...clientEvent('client.created', id), occurred_at: '2026-11-22T10:00:00Z', client: { id, email: `${id}@example.com`, name: 'Ann Lee', locale: 'tr', currency: 'EUR' } },
      ];
      for (const i of order) await send(events[i] as WireEvent);
      expect(await memberOf(app.plugin, id)).toMatchObject({ email: `${id}@example.com`, name: 'Ann Lee', locale: 'tr', currency: 'EUR' });
    });
  });

  describe('client.updated dated ahead of our clock', () => {
    it.each(orders)('the newer (Active, ru) stands over the older (Closed, en) (%s)', async (name, order) => {
      const id = `cu-${key(name)}`;
      await send(invoicePaid({ client: { id }, invoice: { id: `${id}-1` } }));
      const events = [
        { ...clientEvent('client.updated', id), occurred_at: ahead(10), client: { id, status: 'Closed', locale: 'en' } },
        { ...clientEvent('client.updated', id), occurred_at: ahead(20), client: { id, status: 'Active', locale: 'ru' } },
      ];
      const answers = [];
      for (const i of order) answers.push(await send(events[i] as WireEvent));
      expect(await memberOf(app.plugin, id)).toMatchObject({ status: 'active', locale: 'ru', profileAt: new Date(ahead(20)) });
      if (order[0] === 1) expect(answers[1]).toMatchObject({ detail: 'out_of_order' });
    });
  });
});
