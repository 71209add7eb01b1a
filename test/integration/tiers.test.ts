import { expectBalancesConsistent, invoicePaid, startTestApp, tierNameOf, type TestApp } from '../support/harness';

const DAY = 86_400_000;
let n = 0;

describe('tiers', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  afterEach(() => expectBalancesConsistent(app.plugin));

  const member = (id: string) => app.plugin.db.repos.members.findByPanelClientId(id);
  const tierName = (id: string) => tierNameOf(app.plugin, id);
  const pay = (client: string, invoice: string, total: string, occurredAt = app.clock.now()) =>
    app.send(invoicePaid({ client: { id: client }, invoice: { id: invoice, total, items: [] }, occurred_at: occurredAt.toISOString() })).expect(200);
  const refund = (client: string, invoice: string, total: string, refunded: string) =>
    app
      .send({
        id: `test:refund:${invoice}:${++n}`,
        type: 'invoice.refunded',
        occurred_at: app.clock.now().toISOString(),
        client: { id: client },
        invoice: { id: invoice, currency: 'USD', total, refunded },
      })
      .expect(200);

  it('places a member in Bronze, and upgrades on the event that crosses a threshold', async () => {
    await pay('t-1', 'T1-a', '100.00');
    expect(await tierName('t-1')).toBe('Bronze');
    await pay('t-1', 'T1-b', '400.00');
    expect(await tierName('t-1')).toBe('Silver');
    await pay('t-1', 'T1-c', '1600.00');
    expect(await tierName('t-1')).toBe('Gold');
    const changes = await app.plugin.db.repos.tiers.changesFor((await member('t-1'))!.id, 10);
    expect(changes.map((c) => [c.reason, c.qualifyingMinor])).toEqual([
      ['spend_reached', 210_000],
      ['spend_reached', 50_000],
      ['spend_reached', 10_000],
    ]);
  });

  it('a refund below the threshold starts the grace period; review downgrades only after it', async () => {
    await pay('t-2', 'T2-a', '600.00');
    expect(await tierName('t-2')).toBe('Silver');
    await refund('t-2', 'T2-a', '600.00', '200.00');
    expect(await tierName('t-2')).toBe('Silver');
    expect((await member('t-2'))?.tierBelowSince).not.toBeNull();

    app.clock.advance(29 * DAY);
    try {
      await app.plugin.jobs.reviewTiers();
      expect(await tierName('t-2')).toBe('Silver');
      app.clock.advance(1 * DAY);
      const result = await app.plugin.jobs.reviewTiers();
      expect(result.downgraded).toBeGreaterThanOrEqual(1);
      expect(await tierName('t-2')).toBe('Bronze');
      const [last] = await app.plugin.db.repos.tiers.changesFor((await member('t-2'))!.id, 1);
      expect(last).toMatchObject({ reason: 'grace_expired', qualifyingMinor: 40_000 });
      // A second review changes nothing.
      const before = await app.plugin.db.knex('loyalty_tier_changes').count({ n: '*' }).first();
      await app.plugin.jobs.reviewTiers();
      expect(await app.plugin.db.knex('loyalty_tier_changes').count({ n: '*' }).first()).toEqual(before);
    } finally {
      app.clock.advance(-30 * DAY);
    }
  });

  it('spend that recovers inside the grace period keeps the tier', async () => {
    await pay('t-3', 'T3-a', '600.00');
    await refund('t-3', 'T3-a', '600.00', '300.00');
    expect((await member('t-3'))?.tierBelowSince).not.toBeNull();
    await pay('t-3', 'T3-b', '250.00');
    expect((await member('t-3'))?.tierBelowSince).toBeNull();
    expect(await tierName('t-3')).toBe('Silver');
  });

  it('spend older than 12 months rolls out of the window, and review then downgrades after grace', async () => {
    const yearAgo = new Date(app.clock.now().getTime() - 400 * DAY);
    await pay('t-4', 'T4-a', '700.00', yearAgo);
    // A backdated payment counts in the month it was paid, which is already out of the window.
    expect(await tierName('t-4')).toBe('Bronze');
    await pay('t-4', 'T4-b', '600.00');
    expect(await tierName('t-4')).toBe('Silver');
    app.clock.advance(366 * DAY);
    try {
      await app.plugin.jobs.reviewTiers(); // marks below
      expect(await tierName('t-4')).toBe('Silver');
      app.clock.advance(30 * DAY);
      await app.plugin.jobs.reviewTiers();
      expect(await tierName('t-4')).toBe('Bronze');
    } finally {
      app.clock.advance(-396 * DAY);
    }
  });

  it('counts other currencies only at rates the program set', async () => {
    await app.plugin.services.program.update({ earn_rates: { USD: '1', EUR: '1' } });
    await app.plugin.db.repos.settings.set('tier_qualifying_rates', { EUR: '1.10' }, app.clock.now());
    app.plugin.services.tiers.invalidate();
    await app
      .send(invoicePaid({ client: { id: 't-5', currency: 'EUR' }, invoice: { id: 'T5', currency: 'EUR', total: '460.00', items: [] } }))
      .expect(200);
    expect(await tierName('t-5')).toBe('Silver'); // 460 EUR × 1.10 = 506 USD
    await app
      .send(invoicePaid({ client: { id: 't-6', currency: 'GBP' }, invoice: { id: 'T6', currency: 'GBP', total: '9000.00', items: [] } }))
      .expect(200);
    expect(await tierName('t-6')).toBe('Bronze'); // no GBP rate: doesn't count
  });
});
