import { deactivateRules, expectBalancesConsistent, invoicePaid, memberOf, serviceEvent, startTestApp, type TestApp, type WireEvent } from '../support/harness';

/**
 * Events dated ahead of our clock (the contract takes `occurred_at` up to a day ahead: a panel
 * clock ahead of ours) are ordered by their own instants, not by when they happened to be
 * delivered (DESIGN §5.1: the same events in any order, the same effect): a service's state, and
 * the earning pause judged from the member's history of suspensions. Each case in both delivery
 * orders, on SQLite and MariaDB (TEST_DATABASE_URL).
 */

type Answer = { outcome: string; points: number; detail?: string };

const orders = [
  ['in order', [0, 1]],
  ['reversed', [1, 0]],
] as const;

const key = (name: string) => name.replace(/\W+/g, '-');

describe('services dated ahead of our clock, in either delivery order', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ program: { refund_window_days: 0, earn_rates: { USD: '1' } } });
  });
  afterAll(() => app.close());
  afterEach(() => expectBalancesConsistent(app.plugin));

  const send = async (event: WireEvent) => (await app.send(event).expect(200)).body as Answer;
  /** An instant `minutes` from the plugin's clock: positive is ahead of it, as a panel clock may be. */
  const ahead = (minutes: number) => new Date(app.clock.now().getTime() + minutes * 60_000).toISOString();

  it.each(orders)('a service suspended at +10 min and unsuspended at +20 min ends active; the history orders them as the row does (%s)', async (name, order) => {
    const id = `sv-${key(name)}`;
    await send(serviceEvent('service.created', id, { id: 'S' }, { tag: 'c', occurred_at: '2026-11-01T00:00:00Z' }));
    const events = [
      serviceEvent('service.suspended', id, { id: 'S' }, { tag: 's', occurred_at: ahead(10) }),
      serviceEvent('service.unsuspended', id, { id: 'S' }, { tag: 'u', occurred_at: ahead(20) }),
    ];
    for (const i of order) await send(events[i] as WireEvent);
    const m = await memberOf(app.plugin, id);
    expect(m).toMatchObject({ servicesActive: 1, servicesSuspended: 0, suspendedSince: null });
    expect(await app.plugin.db.repos.services.find(m.id, 'S')).toMatchObject({ state: 'active', stateAt: new Date(ahead(20)), suspendedSince: null });
    const changes = (await app.plugin.db.repos.history.serviceStateChanges([m.id])).get(m.id) ?? [];
    expect(changes.map((c) => [c.state, c.at.toISOString()]).sort()).toEqual([
      ['active', ahead(20)],
      ['suspended', ahead(10)],
    ]);
  });

  it.each(orders)('a service unsuspended at +10 min and suspended again at +20 min ends suspended (%s)', async (name, order) => {
    const id = `sr-${key(name)}`;
    await send(serviceEvent('service.suspended', id, { id: 'S' }, { tag: 'first', occurred_at: '2026-11-20T00:00:00Z' }));
    const events = [
      serviceEvent('service.unsuspended', id, { id: 'S' }, { tag: 'u', occurred_at: ahead(10) }),
      serviceEvent('service.suspended', id, { id: 'S' }, { tag: 's', occurred_at: ahead(20) }),
    ];
    for (const i of order) await send(events[i] as WireEvent);
    const m = await memberOf(app.plugin, id);
    expect(m).toMatchObject({ servicesSuspended: 1 });
    // The suspension's clock (the tier grace pause) starts no later than now.
    expect(m.suspendedSince?.getTime()).toBeLessThanOrEqual(app.clock.now().getTime());
    expect(await app.plugin.db.repos.services.find(m.id, 'S')).toMatchObject({ state: 'suspended', stateAt: new Date(ahead(20)) });
  });
});

describe.each([
  ['payments in group commits', 32],
  ['each payment alone', 1],
])('the earning pause, by each event’s own instant ahead of our clock (%s)', (_, ingestBatchMax) => {
  let paused: TestApp;
  beforeAll(async () => {
    paused = await startTestApp({ config: { ingestBatchMax }, program: { refund_window_days: 0, earn_rates: { USD: '1' } } });
    await paused.plugin.services.program.update({ pause_earning_while_suspended: true });
  });
  afterAll(() => paused.close());
  afterEach(async () => {
    await expectBalancesConsistent(paused.plugin);
    await deactivateRules(paused.plugin);
  });
  const later = (minutes: number) => new Date(paused.clock.now().getTime() + minutes * 60_000).toISOString();
  const deliver = async (id: string, order: readonly number[], then: WireEvent) => {
    await paused.send(serviceEvent('service.created', id, { id: 'S' }, { tag: 'c', occurred_at: '2026-11-01T00:00:00Z' })).expect(200);
    const events = [
      serviceEvent('service.suspended', id, { id: 'S' }, { tag: 's', occurred_at: later(10) }),
      serviceEvent('service.unsuspended', id, { id: 'S' }, { tag: 'u', occurred_at: later(20) }),
    ];
    for (const i of order) await paused.send(events[i] as WireEvent).expect(200);
    return (await paused.send(then).expect(200)).body as Answer;
  };
  const payment = (id: string, minutes: number) =>
    invoicePaid({ client: { id }, invoice: { id: `${id}-INV`, total: '100.00', items: [{ id: 'l', type: 'new', amount: '100.00' }] }, occurred_at: later(minutes) });

  it.each(orders)('a payment at +15 min, while suspended, earns nothing (%s)', async (name, order) => {
    const id = `p15-${ingestBatchMax}-${key(name)}`;
    expect(await deliver(id, order, payment(id, 15))).toMatchObject({ points: 0, detail: 'earning_paused' });
    expect((await memberOf(paused.plugin, id)).pointsLifetime).toBe(0);
  });

  it.each(orders)('a payment at +30 min, after the unsuspension, earns (%s)', async (name, order) => {
    const id = `p30-${ingestBatchMax}-${key(name)}`;
    expect(await deliver(id, order, payment(id, 30))).toMatchObject({ points: 100 });
  });

  it.each(orders)('an upgrade at +15 min earns no bonus, one at +30 min does (%s)', async (name, order) => {
    await paused.plugin.services.program.addRule({ type: 'service_upgrade', active: true, params: { points: 50 } });
    const id = `up-${ingestBatchMax}-${key(name)}`;
    const upgrade = (tag: string, minutes: number) =>
      serviceEvent('service.upgraded', id, { id: 'S', amount: '20.00', previous_amount: '10.00', currency: 'USD' }, { tag, occurred_at: later(minutes) });
    expect(await deliver(id, order, upgrade('u15', 15))).toMatchObject({ points: 0, detail: 'earning_paused' });
    expect((await paused.send(upgrade('u30', 30)).expect(200)).body).toMatchObject({ points: 50 });
  });

  it.each(orders)('a renewal-streak bonus reached at +15 min is not paid, one at +30 min is (%s)', async (name, order) => {
    await paused.plugin.services.program.addRule({ type: 'renewal_streak', active: true, params: { streak: 1, points: 40, repeat: true } });
    const id = `rn-${ingestBatchMax}-${key(name)}`;
    const renewal = (due: string, minutes: number) => serviceEvent('service.renewed', id, { id: 'S', amount: '10.00', due_date: due }, { tag: due, occurred_at: later(minutes) });
    const due = paused.clock.now().toISOString().slice(0, 10);
    expect(await deliver(id, order, renewal(due, 15))).toMatchObject({ points: 0, detail: 'earning_paused' });
    const next = new Date(new Date(`${due}T00:00:00Z`).getTime() + 31 * 86_400_000).toISOString().slice(0, 10);
    expect((await paused.send(renewal(next, 30)).expect(200)).body).toMatchObject({ points: 40 });
  });
});
