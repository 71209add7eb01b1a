import { expectBalancesConsistent, invoicePaid, invoiceRefunded, startTestApp, tierNameOf, type TestApp } from '../support/harness';

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
  const tierName = (id: string) => tierNameOf(app.plugin, id);
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

/**
 * `review-tiers --period <past day>` (the job CLI runs it through plugin.jobs.run) acts as of
 * that day's end, as the other daily jobs do: the 12-month window and the grace clock end then,
 * so what changed between that day and now waits for its own day's run.
 */
describe('tier review for a past day', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  afterEach(() => expectBalancesConsistent(app.plugin));

  const member = (id: string) => app.plugin.db.repos.members.findByPanelClientId(id);
  const tierName = (id: string) => tierNameOf(app.plugin, id);
  /** Silver by 600.00 paid at `at`; a refund of 200.00 then leaves them below it, their grace clock starting. */
  const silver = async (client: string, at: string, below: boolean) => {
    app.clock.current = new Date(at);
    await app.send(invoicePaid({ client: { id: client }, occurred_at: at, invoice: { id: `P-${client}`, total: '600.00', items: [] } })).expect(200);
    if (below) await app.send(invoiceRefunded(`P-${client}`, '200.00', { client: { id: client }, occurred_at: at, invoice: { total: '600.00' } })).expect(200);
  };

  it('judges the 12-month window and the grace as of the end of that day, not as of now', async () => {
    await silver('past-window', '2026-11-23T12:00:00Z', false); // November 2026 leaves the window on 1 November 2027
    await silver('past-left', '2026-11-23T12:00:00Z', false);
    // Spend dated September 2026: it left the window on 1 September 2027, before the day reviewed.
    await app.send(invoicePaid({ client: { id: 'past-left' }, occurred_at: '2026-09-15T12:00:00Z', invoice: { id: 'P-past-left-sep', total: '600.00', items: [] } })).expect(200);
    await app.send(invoiceRefunded('P-past-left', '600.00', { client: { id: 'past-left' }, occurred_at: '2026-11-23T12:00:00Z', invoice: { total: '600.00' } })).expect(200);
    expect((await member('past-left'))?.tierRecheckAt?.toISOString()).toBe('2027-09-01T00:00:00.000Z');
    await silver('past-grace-over', '2027-09-01T12:00:00Z', true); // grace over 1 October 2027
    await silver('past-grace-running', '2027-09-25T12:00:00Z', true); // grace over 25 October 2027
    expect(await tierName('past-window')).toBe('Silver');

    app.clock.current = new Date('2027-11-05T12:00:00Z');
    // As of the end of 20 October 2027: one grace is over, one member's spend had left the window.
    expect(await app.plugin.jobs.run('review-tiers', { period: '2027-10-20', dryRun: true })).toMatchObject({ status: 'done', counts: { reviewed: 2, downgraded: 1, marked: 1 } });
    expect(await app.plugin.jobs.run('review-tiers', { period: '2027-10-20' })).toMatchObject({ status: 'done', counts: { reviewed: 2, downgraded: 1, marked: 1 } });
    expect(await tierName('past-grace-over')).toBe('Bronze');
    // Its grace clock starts at that day's end, as a run on that day would have started it.
    expect((await member('past-left'))?.tierBelowSince?.toISOString()).toBe('2027-10-21T00:00:00.000Z');
    // Still in their window or their grace at that day's end, whatever they are now.
    expect(await tierName('past-grace-running')).toBe('Silver');
    expect(await member('past-window')).toMatchObject({ tierBelowSince: null });
    expect(await tierName('past-window')).toBe('Silver');

    // A review as of now finds them: the window and the grace end now.
    expect(await app.plugin.jobs.reviewTiers()).toEqual({ reviewed: 2, downgraded: 1, marked: 1 });
    expect(await tierName('past-grace-running')).toBe('Bronze');
    expect((await member('past-window'))?.tierBelowSince?.toISOString()).toBe('2027-11-05T12:00:00.000Z');
  });
});
