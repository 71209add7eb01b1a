import type { HistoryRow } from '../../plugin/services/backfill-service';
import { MAX_POINTS } from '../../plugin/domain/points';
import {
  deactivateRules,
  expectBalancesConsistent,
  invoicePaid,
  invoiceRefunded,
  memberOf,
  serviceEvent,
  startTestApp,
  tableCounts,
  DELIVERY_PATHS,
  type TestApp,
  type WireEvent,
} from '../support/harness';

/**
 * A signed payload never makes a 500: an event whose points would pass MAX_POINTS (10^12), in
 * one award or in the member's balance or lifetime points, is refused with a 422 naming the
 * field and the reason, and writes nothing; the member stays readable and keeps taking events.
 */
describe.each(DELIVERY_PATHS)('points past the bound (%s)', (_name, options) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(options);
  });
  afterAll(() => app.close());
  afterEach(async () => {
    await expectBalancesConsistent(app.plugin);
    await deactivateRules(app.plugin);
    await app.plugin.services.program.update({ earn_rates: { USD: '1', EUR: '1', GBP: '1' } });
  });

  const program = () => app.plugin.services.program;
  let n = 0;
  const huge = (client: string, total = '1000000000.00', group = 'big') =>
    invoicePaid({ id: `t:limit:${client}:${++n}`, client: { id: client }, invoice: { id: `L-${client}-${n}`, total, items: [{ id: `L-${n}`, type: 'new', product_group: group, amount: total }] } });

  /** Sends an event that must be refused: 422 on `path`, and nothing written. */
  const refused = async (event: WireEvent, path: string, message: RegExp) => {
    const before = await tableCounts(app.plugin);
    const res = await app.send(event).expect(422);
    expect(res.body).toMatchObject({
      error: 'validation_failed',
      fields: [{ path, message: expect.stringMatching(message), reason: { code: 'points_limit', params: { max: MAX_POINTS } } }],
    });
    expect(res.body.help).toContain('Nothing was written');
    expect(await tableCounts(app.plugin)).toEqual(before);
    return res.body;
  };

  it('refuses an earn rate past 10000 points per 1.00, naming the currency', async () => {
    await expect(program().update({ earn_rates: { USD: '999999.9999' } })).rejects.toMatchObject({
      status: 422,
      fields: [{ path: 'earn_rates.USD', message: 'must be at most 10000 points per 1.00' }],
    });
    await program().update({ earn_rates: { USD: '10000' } });
    expect((await program().current()).earnRates.USD).toBe('10000');
  });

  it('an invoice that would award more than 10^12 points: 422 on invoice.total, nothing written', async () => {
    await program().update({ earn_rates: { USD: '10000' } });
    await program().addRule({ active: true, type: 'product_multiplier', params: { multiplier: '100', product_groups: ['big'] } });
    // 1,000,000,000.00 × 10,000 × 100: 10^15 points.
    await refused(huge('lim-award'), 'invoice.total', /^would award 1000000000000000 points; an event may award at most 1000000000000$/);
    // The client was not even enrolled; a later ordinary payment applies.
    expect(await app.plugin.db.repos.members.findByPanelClientId('lim-award')).toBeNull();
    expect((await app.send(huge('lim-award', '10.00', 'small')).expect(200)).body.points).toBe(100_000);
  });

  it('payments that would take the balance past 10^12: the one that would is refused, the member stays readable and takes events', async () => {
    await program().update({ earn_rates: { USD: '1000' } });
    // 1,000,000,000.00 × 1,000: 10^12, the bound exactly.
    expect((await app.send(huge('lim-balance')).expect(200)).body.points).toBe(MAX_POINTS);
    // Platinum by now (×1.5): 0.01 would earn 15.
    await refused(huge('lim-balance', '0.01'), 'invoice.total', /^would bring the member's balance to 1000000000015 points; a member may hold at most 1000000000000$/);
    const member = await memberOf(app.plugin, 'lim-balance');
    expect([member.pointsAvailable, member.pointsLifetime]).toEqual([MAX_POINTS, MAX_POINTS]);
    // A refund still applies; then there is room again.
    const first = `L-lim-balance-${n - 1}`;
    expect((await app.send(invoiceRefunded(first, '500000000.00', { client: { id: 'lim-balance' }, invoice: { total: '1000000000.00' } })).expect(200)).body.points).toBe(-MAX_POINTS / 2);
    expect((await app.send(huge('lim-balance', '0.01')).expect(200)).body.points).toBe(15);
    // The Rewards tab reads them.
    expect((await app.plugin.presenters.rewardsTab.build('lim-balance')).model).toBeDefined();
  });

  it('among payments arriving together, only the one past the bound is refused; its new client is not enrolled', async () => {
    await program().update({ earn_rates: { USD: '10000' } });
    await program().addRule({ active: true, type: 'product_multiplier', params: { multiplier: '100', product_groups: ['big'] } });
    const events = [huge('lim-many-1', '1.00'), huge('lim-many-2'), huge('lim-many-3', '2.00'), huge('lim-many-4', '3.00')];
    const answers = await Promise.all(events.map((e) => app.send(e)));
    expect(answers.map((a) => [a.status, a.body.points ?? a.body.fields?.[0]?.path])).toEqual([
      [200, 1_000_000],
      [422, 'invoice.total'],
      [200, 2_000_000],
      [200, 3_000_000],
    ]);
    expect(await app.plugin.db.repos.members.findByPanelClientId('lim-many-2')).toBeNull();
  });

  it('a service upgrade that would award too many: 422 on service.amount', async () => {
    await program().update({ earn_rates: { USD: '10000' } });
    await program().addRule({ active: true, type: 'service_upgrade', params: { percent: 1000, money_from: 'event' } });
    await app.send(huge('lim-upgrade', '1.00', 'small')).expect(200);
    await refused(serviceEvent('service.upgraded', 'lim-upgrade', { id: 'S1', previous_amount: '0.00', amount: '1000000000.00' }), 'service.amount', /^would award 110000000000000 points/);
  });

  it('a backfill refuses the line, imports the others', async () => {
    await program().update({ earn_rates: { USD: '10000' } });
    const events = [huge('lim-backfill', '100.00'), huge('lim-backfill'), huge('lim-backfill', '200.00')];
    async function* rows(): AsyncIterable<HistoryRow> {
      for (const [i, json] of events.entries()) yield { line: i + 1, json };
    }
    const refusals: unknown[] = [];
    const summary = await app.plugin.services.backfill.run(rows(), { award: 'points' }, { onRefused: (r) => void refusals.push(r) });
    expect(summary).toMatchObject({ invoices: 2, refused: 1, points: 3_000_000 });
    expect(refusals).toEqual([{ line: 2, id: events[1]?.id, reasons: [expect.objectContaining({ path: 'invoice.total', reason: { code: 'points_limit', params: { max: MAX_POINTS } } })] }]);
    expect((await memberOf(app.plugin, 'lim-backfill')).pointsLifetime).toBe(3_000_000);
  });
});
