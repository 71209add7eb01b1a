import { expectBalancesConsistent, invoicePaid, invoiceRefunded, memberOf, serviceEvent, startTestApp, tierNameOf, type TestApp } from '../support/harness';

/**
 * The Rewards tab's "Spend X more to keep <tier> (last day: <date>)" tells what the tier review will do:
 * its grace clock stands still while a service is suspended (issues 11 and 12), so the date is
 * never one the member has kept the tier past. On SQLite and MariaDB (TEST_DATABASE_URL).
 */

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString();
const day = (d: Date) => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
const usd = (minor: number) => new Intl.NumberFormat('en', { style: 'currency', currency: 'USD' }).format(minor / 100);

describe('the tab’s keep-by date while a service is suspended', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  afterEach(() => expectBalancesConsistent(app.plugin));

  const keep = async (clientId: string) => (await app.plugin.presenters.rewardsTab.build(clientId)).model.tier?.keep;

  it('a Silver member below the threshold, then suspended: the date is when the review would downgrade them, not one in the past', async () => {
    const start = app.clock.now();
    const now = () => iso(app.clock.now());
    // Silver on 600.00, then below it on a 200.00 refund: 30 days of grace from `start`.
    await app.send(invoicePaid({ client: { id: 'kb' }, invoice: { id: 'KB', total: '600.00', items: [{ id: 'l', type: 'new', amount: '600.00' }] }, occurred_at: now() })).expect(200);
    await app.send(serviceEvent('service.created', 'kb', { id: 'SV' }, { tag: 'c', occurred_at: now() })).expect(200);
    await app.send(invoiceRefunded('KB', '200.00', { client: { id: 'kb' }, invoice: { total: '600.00' }, occurred_at: now() })).expect(200);
    expect((await memberOf(app.plugin, 'kb')).tierBelowSince).toEqual(start);
    expect(await keep('kb')).toBe(`Spend ${usd(10000)} more to keep Silver (last day: ${day(new Date(start.getTime() + 30 * DAY))})`);

    // 5 days of grace used, then a suspension; 40 days on, the review keeps them Silver.
    app.clock.advance(5 * DAY);
    await app.send(serviceEvent('service.suspended', 'kb', { id: 'SV' }, { tag: 's', occurred_at: now() })).expect(200);
    app.clock.advance(40 * DAY);
    // A dry run of the job tells what the run does: no downgrade while suspended.
    expect(await app.plugin.jobs.run('review-tiers', { period: 'dry-suspended', dryRun: true })).toMatchObject({ status: 'done', counts: { reviewed: 1, downgraded: 0 } });
    expect(await app.plugin.jobs.reviewTiers()).toMatchObject({ reviewed: 1, downgraded: 0 });
    expect(await tierNameOf(app.plugin, 'kb')).toBe('Silver');
    // 25 days of grace are left, counted from the day the suspension ends; it stands still meanwhile.
    const left = new Date(app.clock.now().getTime() + 25 * DAY);
    expect(await keep('kb')).toBe(
      `Spend ${usd(10000)} more to keep Silver (last day: ${day(left)}). The countdown is paused while a service of yours is suspended, so this date moves on by each day it stays suspended.`,
    );

    // The suspension ends now: the review keeps the tier until that date, and not after it.
    await app.send(serviceEvent('service.unsuspended', 'kb', { id: 'SV' }, { tag: 'u', occurred_at: now() })).expect(200);
    expect(await keep('kb')).toBe(`Spend ${usd(10000)} more to keep Silver (last day: ${day(left)})`);
    app.clock.current = new Date(left.getTime() - 1);
    await app.plugin.jobs.reviewTiers();
    expect(await tierNameOf(app.plugin, 'kb')).toBe('Silver');
    app.clock.current = left;
    await app.plugin.jobs.reviewTiers();
    expect(await tierNameOf(app.plugin, 'kb')).toBe('Bronze');
    expect(await keep('kb')).toBeNull();
  });
});
