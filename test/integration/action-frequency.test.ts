import { actionEvent, deactivateRules, expectBalancesConsistent, memberOf, startTestApp, TestClock, type TestApp } from '../support/harness';

/**
 * An action rule's "per period" limit counts the period each action happened in (`occurred_at`,
 * a panel clock ahead of ours clamped to now), not the day it was delivered: the same actions earn
 * the same points whatever order and whenever they arrive. On SQLite and MariaDB (TEST_DATABASE_URL).
 */
describe('action frequency by when the action happened', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ clock: new TestClock(new Date('2026-11-29T12:00:00Z')), program: { refund_window_days: 0, earn_rates: { USD: '1' } } });
    await deactivateRules(app.plugin);
    await app.plugin.services.program.addRule({ type: 'action', active: true, params: { kind: 'survey', points: 10, per: 'month', limit: 1 } });
    await app.plugin.services.program.addRule({ type: 'action', active: true, params: { kind: 'login', points: 1, per: 'day', limit: 2 } });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const at = (iso: string) => {
    app.clock.current = new Date(iso);
  };
  const survey = async (clientId: string, reference: string, occurredAt: string) =>
    (await app.send(actionEvent(clientId, 'survey', reference, { occurred_at: occurredAt })).expect(200)).body as { points: number; detail?: string };

  it('a second November survey delivered on December 1st is still November’s: refused', async () => {
    at('2026-11-29T12:00:00Z');
    expect(await survey('m-1', 'nps-11-29', '2026-11-29T12:00:00Z')).toMatchObject({ points: 10 });
    at('2026-12-01T00:05:00Z');
    expect(await survey('m-1', 'nps-11-30', '2026-11-30T23:00:00Z')).toMatchObject({ points: 0, detail: 'limit_reached' });
    // December's own survey is not taken by the late November one.
    expect(await survey('m-1', 'nps-12-01', '2026-12-01T00:01:00Z')).toMatchObject({ points: 10 });
    expect((await memberOf(app.plugin, 'm-1')).pointsAvailable).toBe(20);
  });

  it('an October survey delivered in November after a November one is October’s: it earns', async () => {
    at('2026-11-29T12:00:00Z');
    expect(await survey('m-2', 'nps-2026-11', '2026-11-29T10:00:00Z')).toMatchObject({ points: 10 });
    expect(await survey('m-2', 'nps-2026-10', '2026-10-30T10:00:00Z')).toMatchObject({ points: 10 });
    // …and October is then used up, whenever its next survey arrives.
    expect(await survey('m-2', 'nps-2026-10b', '2026-10-02T10:00:00Z')).toMatchObject({ points: 0, detail: 'limit_reached' });
    expect((await memberOf(app.plugin, 'm-2')).pointsAvailable).toBe(20);
  });

  it('the same surveys earn the same points in any delivery order', async () => {
    const surveys: Array<[string, string]> = [
      ['a', '2026-09-15T10:00:00Z'],
      ['b', '2026-10-01T00:00:00Z'],
      ['c', '2026-10-31T23:59:59.999Z'],
      ['d', '2026-11-01T00:00:00Z'],
      ['e', '2026-11-20T08:00:00Z'],
    ];
    at('2026-12-02T09:00:00Z');
    const orders = [surveys, [...surveys].reverse(), [surveys[2], surveys[4], surveys[0], surveys[3], surveys[1]]] as Array<Array<[string, string]>>;
    const totals: number[] = [];
    for (const [i, order] of orders.entries()) {
      for (const [ref, occurredAt] of order) await survey(`m-order-${i}`, ref, occurredAt);
      totals.push((await memberOf(app.plugin, `m-order-${i}`)).pointsAvailable);
    }
    // September, October and November: one each.
    expect(totals).toEqual([30, 30, 30]);
  });

  it('a panel clock ahead of ours dates the action now: its period is ours', async () => {
    at('2026-11-30T23:50:00Z');
    expect(await survey('m-3', 'nps-11-a', '2026-11-10T10:00:00Z')).toMatchObject({ points: 10 });
    // Stamped December 1st by a panel 20 minutes ahead: it happened in our November, now used up.
    expect(await survey('m-3', 'nps-ahead', '2026-12-01T00:10:00Z')).toMatchObject({ points: 0, detail: 'limit_reached' });
    at('2026-12-01T00:30:00Z');
    expect(await survey('m-3', 'nps-12', '2026-12-01T00:20:00Z')).toMatchObject({ points: 10 });
  });

  it('per day: days are those of the actions, at the day’s edges too', async () => {
    at('2026-11-29T12:00:00Z');
    const login = async (reference: string, occurredAt: string) => (await app.send(actionEvent('m-4', 'login', reference, { occurred_at: occurredAt })).expect(200)).body.points;
    expect([
      await login('1', '2026-11-28T23:59:59.999Z'),
      await login('2', '2026-11-29T00:00:00Z'),
      await login('3', '2026-11-28T00:00:00Z'),
      await login('4', '2026-11-29T11:00:00Z'),
      await login('5', '2026-11-28T12:00:00Z'),
      await login('6', '2026-11-29T11:30:00Z'),
    ]).toEqual([1, 1, 1, 1, 0, 0]);
  });
});
