import { randomBytes } from 'node:crypto';
import { clientSession } from '../support/client';
import { readable } from '../support/english';
import { addReward } from '../support/rewards';
import { expectBalancesConsistent, invoicePaid, invoiceRefunded, startTestApp, type TestApp } from '../support/harness';

/**
 * The client pages read dates on the program's clock (setting `time_zone`), and tell a
 * deadline by the last day it leaves: points that expire at the first instant of December
 * there last until 30 November, whatever UTC's date is then.
 */
describe("the client pages' dates, on the program's clock", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ program: { refund_window_days: 0, earn_rates: { USD: '1' } } });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const setClock = async (timeZone: string, more: Record<string, unknown> = {}) => app.plugin.services.program.update({ time_zone: timeZone, ...more });
  const page = async (clientId: string, query = '') => (await app.http.get(`/client/rewards${query}`).set('Cookie', await clientSession(app, clientId)).expect(200)).text;
  const byTestId = (html: string, id: string) => readable(new RegExp(`data-testid="${id}"[^>]*>([\\s\\S]*?)</(?:p|ul|td)>`).exec(html)?.[1] ?? '');
  const historyDates = (html: string) => [...html.matchAll(/<td data-label="Date">([^<]*)<\/td>/g)].map((m) => m[1]);
  const pay = (clientId: string, id: string, total = '10.00', occurredAt?: string) =>
    app.send(invoicePaid({ client: { id: clientId, locale: 'en' }, ...(occurredAt && { occurred_at: occurredAt }), invoice: { id, total, items: [{ type: 'new', amount: total }] } })).expect(200);
  /** Runs `fn` with the test clock at `at`, then puts it back. */
  async function at<T>(instant: string, fn: () => Promise<T>): Promise<T> {
    const saved = app.clock.current;
    app.clock.current = new Date(instant);
    try {
      return await fn();
    } finally {
      app.clock.current = saved;
    }
  }

  it.each([
    ['UTC', '2026-12-01T00:00:00.000Z'],
    ['America/New_York', '2026-12-01T05:00:00.000Z'],
    ['Europe/Moscow', '2026-11-30T21:00:00.000Z'],
  ])('end of month expiry on %s: the last day to use the points is November 30', async (timeZone, deadline) => {
    await setClock(timeZone, { points_expiry: { policy: 'end_of_month', months: 0 } });
    try {
      const client = `eom-${timeZone.replace('/', '-')}`;
      await pay(client, `EOM-${client}`, '10.00', '2026-11-22T10:00:00Z');
      const lots = await app.plugin.db.knex('loyalty_lots').join('loyalty_members', 'loyalty_members.id', 'loyalty_lots.member_id').where({ panel_client_id: client }).select('expires_at');
      expect(lots.map((l: { expires_at: Date | number }) => new Date(l.expires_at).toISOString())).toEqual([deadline]);
      const html = await page(client);
      expect(byTestId(html, 'expiring-date')).toBe('Last day to use the first of them: Nov 30, 2026');
      expect(byTestId(html, 'expiring-upcoming')).toBe('10 points, last day Nov 30, 2026');
      expect(readable(html)).toContain('Points expire at the end of the month, 0 months after the month you earn them.');
    } finally {
      await setClock('UTC', { points_expiry: null });
    }
  });

  it('shows the history, pending releases and tier dates as the days they are on the program clock', async () => {
    await setClock('Asia/Tokyo', { refund_window_days: 14 });
    try {
      // 20:00 UTC on 23 November is 05:00 on the 24th in Tokyo.
      await at('2026-11-23T20:00:00Z', () => pay('tokyo', 'TK-1', '600.00', '2026-11-23T20:00:00Z'));
      await at('2026-11-23T20:00:00Z', () => app.send(invoiceRefunded('TK-1', '200.00', { client: { id: 'tokyo' }, invoice: { total: '600.00' } })).expect(200));
      const html = await at('2026-11-24T01:00:00Z', () => page('tokyo'));
      expect(historyDates(html)).toEqual(['Nov 24, 2026', 'Nov 24, 2026']);
      // Released 14 days after payment: 20:00 UTC on 7 December, the 8th in Tokyo.
      expect(byTestId(html, 'pending-releases')).toBe('400 on Dec 8, 2026');
      expect(readable(html)).toMatch(/Nov 24, 2026: Joined at Silver/);
      // Below Silver since the refund: 30 days of grace end at 20:00 UTC on 23 December, the 24th in Tokyo.
      expect(byTestId(html, 'tier-keep')).toBe('Spend $100.00 more to keep Silver (last day: Dec 24, 2026)');
    } finally {
      await setClock('UTC', { refund_window_days: 0 });
    }
  });

  it("tells a promotion's end by its last day on the program clock", async () => {
    const id = await app.plugin.services.program.addRule({ type: 'promo', active: true, params: { multiplier: '2' }, startsAt: new Date('2026-11-01T00:00:00Z'), endsAt: new Date('2026-12-01T05:00:00Z') });
    try {
      await pay('promo', 'PR-1');
      await setClock('America/New_York');
      expect(readable(await page('promo'))).toContain('×2 points on everything, last day Nov 30, 2026');
      await setClock('UTC');
      expect(readable(await page('promo'))).toContain('×2 points on everything, last day Dec 1, 2026');
    } finally {
      await app.plugin.services.program.setRuleActive(id, false);
      await setClock('UTC');
    }
  });

  it('dates redemptions on the program clock', async () => {
    await pay('redeemer', 'RD-1', '100.00');
    const reward = await addReward(app, { costPoints: 10 });
    await at('2026-11-23T20:00:00Z', () => app.plugin.services.redemptions.redeem('redeemer', { rewardId: reward, idempotencyKey: randomBytes(12).toString('base64url') }));
    const list = async () => (await app.http.get('/client/redemptions').set('Cookie', await clientSession(app, 'redeemer')).expect(200)).text;
    expect(await list()).toMatch(/<td data-label="Date">Nov 23, 2026<\/td>/);
    await setClock('Asia/Tokyo');
    try {
      expect(await list()).toMatch(/<td data-label="Date">Nov 24, 2026<\/td>/);
    } finally {
      await setClock('UTC');
    }
  });

  describe('the history filter', () => {
    beforeAll(async () => {
      // 03:00 UTC on 23 November: the 23rd in UTC, the 22nd in New York.
      await at('2026-11-23T03:00:00Z', () => pay('filter', 'F-1'));
    });
    const rows = (html: string) => (html.match(/data-entry="/g) ?? []).length;

    it("takes the days on the program clock, as the dates beside the entries are", async () => {
      expect(rows(await page('filter', '?from=2026-11-23&to=2026-11-23'))).toBe(1);
      await setClock('America/New_York');
      try {
        const html = await page('filter', '?from=2026-11-22&to=2026-11-22');
        expect(rows(html)).toBe(1);
        expect(historyDates(html)).toEqual(['Nov 22, 2026']);
        expect(rows(await page('filter', '?from=2026-11-23'))).toBe(0);
        expect(rows(await page('filter', '?to=2026-11-21'))).toBe(0);
      } finally {
        await setClock('UTC');
      }
    });

    it.each(['UTC', 'America/New_York', 'Pacific/Kiritimati'])('reads up to 31 December 9999 on %s, the last day the database stores', async (timeZone) => {
      await setClock(timeZone);
      try {
        expect(rows(await page('filter', '?to=9999-12-31'))).toBe(1);
        expect(rows(await page('filter', '?from=1970-01-01&to=9999-12-31'))).toBe(1);
        expect(rows(await page('filter', '?from=9999-12-31'))).toBe(0);
      } finally {
        await setClock('UTC');
      }
    });

    it.each(['0000-01-01', '1969-12-31', '10000-01-01', '+02026-11-23'])('refuses a day outside 1970 to 9999 (%s), naming the field', async (day) => {
      for (const field of ['from', 'to']) {
        const res = await app.http.get(`/client/rewards?${field}=${day}`).set('Cookie', await clientSession(app, 'filter'));
        expect(res.status).toBe(400);
        expect(readable(res.text)).toContain(field);
      }
    });

    it('offers only those days in the date inputs', async () => {
      const html = await page('filter');
      expect(html).toContain('<input type="date" name="from" min="1970-01-01" max="9999-12-31" value="">');
      expect(html).toContain('<input type="date" name="to" min="1970-01-01" max="9999-12-31" value="">');
    });
  });
});
