import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

const DAY = 86_400_000;

/**
 * The tier review is set-based (issue 8): it reads the members whose grace has ended and
 * those whose spend may have left the window, not every tiered member every day.
 */
describe('tier review', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  afterEach(() => expectBalancesConsistent(app.plugin));

  const member = (id: string) => app.plugin.db.repos.members.findByPanelClientId(id);
  const tierName = async (id: string) => {
    const m = await member(id);
    return (await app.plugin.services.tiers.config()).tiers.find((t) => t.id === m?.tierId)?.name ?? null;
  };
  const pay = (client: string, invoice: string, total: string) =>
    app.send(invoicePaid({ client: { id: client }, invoice: { id: invoice, total, items: [] } })).expect(200);
  const changes = async () => Number((await app.plugin.db.knex('loyalty_tier_changes').count({ n: '*' }).first())?.n);

  it('reads only members whose standing can have changed; each in time, and a dry run writes nothing', async () => {
    const clients = ['r-1', 'r-2', 'r-3', 'r-4', 'r-5'];
    for (const c of clients) await pay(c, `R-${c}`, '600.00'); // Silver, spend in November 2026
    await pay('r-refund', 'R-refund', '600.00');
    await app
      .send({ id: 'test:r-refund:1', type: 'invoice.refunded', occurred_at: app.clock.now().toISOString(), client: { id: 'r-refund' }, invoice: { id: 'R-refund', currency: 'USD', total: '600.00', refunded: '200.00' } })
      .expect(200);
    expect((await member('r-1'))?.tierRecheckAt?.toISOString()).toBe('2027-11-01T00:00:00.000Z'); // when November 2026 leaves the window
    expect((await member('r-refund'))?.tierRecheckAt).toBeNull(); // below: the grace clock runs instead

    // Six members hold Silver; none is due a review today.
    expect(await app.plugin.jobs.reviewTiers()).toEqual({ reviewed: 0, downgraded: 0, marked: 0 });

    const start = app.clock.now();
    try {
      app.clock.advance(30 * DAY); // the refunded member's grace is over; nobody else is due
      expect(await app.plugin.jobs.run('review-tiers', { period: 'dry-1', dryRun: true })).toMatchObject({ status: 'done', counts: { reviewed: 1, downgraded: 1 } });
      expect(await tierName('r-refund')).toBe('Silver');
      expect(await app.plugin.jobs.reviewTiers()).toEqual({ reviewed: 1, downgraded: 1, marked: 0 });
      expect(await tierName('r-refund')).toBe('Bronze');

      // 1 November 2027: November 2026 leaves the window, and the five fall below Silver.
      app.clock.current = new Date('2027-11-01T00:00:00Z');
      const before = await changes();
      expect(await app.plugin.jobs.reviewTiers()).toEqual({ reviewed: 5, downgraded: 0, marked: 5 });
      expect(await changes()).toBe(before);
      expect((await member('r-1'))?.tierBelowSince?.toISOString()).toBe('2027-11-01T00:00:00.000Z');
      expect(await app.plugin.jobs.reviewTiers()).toEqual({ reviewed: 0, downgraded: 0, marked: 0 });

      app.clock.advance(30 * DAY);
      expect(await app.plugin.jobs.reviewTiers()).toEqual({ reviewed: 5, downgraded: 5, marked: 0 });
      for (const c of clients) expect(await tierName(c)).toBe('Bronze');
      expect(await changes()).toBe(before + 5);
      expect(await app.plugin.jobs.reviewTiers()).toEqual({ reviewed: 0, downgraded: 0, marked: 0 });
    } finally {
      app.clock.current = start;
    }
  });
});
