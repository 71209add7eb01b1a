import type { RuleInput } from '../../plugin/services/program-service';
import { deactivateRules, DELIVERY_PATHS, expectBalancesConsistent, invoicePaid, invoiceRefunded, invoiceReversed, memberOf, startTestApp, type TestApp } from '../support/harness';

/**
 * Issue 11: a payment `invoice.reversed` undid, paid again under a new event id, earns again, as
 * the payment did; and what was reversed or refunded in full no longer counts as given. The
 * first-purchase bonus stands at most once, and a cap counts what stands of its rule's awards.
 * Both ways of taking payments: the group commit (new invoices) and one at a time.
 */
describe.each(DELIVERY_PATHS)('a re-payment earns again (%s)', (_name, options) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(options);
  });
  afterAll(() => app.close());
  afterEach(async () => {
    await expectBalancesConsistent(app.plugin);
    await deactivateRules(app.plugin);
    await app.plugin.services.program.update({ base_rule: { active: true, starts_at: null, ends_at: null, cap: null } });
    app.clock.current = new Date('2026-11-23T12:00:00Z');
  });

  const add = (input: Omit<RuleInput, 'active'>) => app.plugin.services.program.addRule({ active: true, ...input });
  /** A 100.00 invoice: 100 base points, plus whatever its renewal line earns. */
  const invoice = (id: string, renewal = false) => ({ id, total: '100.00', items: [{ id: `${id}-1`, type: renewal ? ('renewal' as const) : ('new' as const), amount: '100.00' }] });
  let n = 0;
  const pay = async (client: string, inv: ReturnType<typeof invoice>) =>
    (await app.send(invoicePaid({ id: `t:repay:${client}:${inv.id}:${++n}`, client: { id: client }, invoice: inv })).expect(200)).body as { points: number; detail?: string };
  const reverse = async (client: string, id: string) => (await app.send(invoiceReversed(id, { client: { id: client }, invoice: { total: '100.00' } })).expect(200)).body as { points: number };
  const refund = async (client: string, id: string, amount: string) =>
    (await app.send(invoiceRefunded(id, amount, { id: `t:refund:${client}:${id}:${++n}`, client: { id: client }, invoice: { total: '100.00' } })).expect(200)).body as { points: number };
  const chargeback = async (client: string, id: string) =>
    (
      await app
        .send({ id: `t:chargeback:${client}:${id}`, type: 'invoice.chargeback', occurred_at: '2026-11-22T10:15:00Z', client: { id: client }, invoice: { id, currency: 'USD', total: '100.00' } })
        .expect(200)
    ).body as { points: number };
  const bonuses = async (client: string, type: string) => {
    const m = await memberOf(app.plugin, client);
    const rows = await app.plugin.db.knex('loyalty_ledger').where({ member_id: m.id }).andWhere('rule', 'like', `${type}:%`).select('delta');
    return rows.map((r: { delta: unknown }) => Number(r.delta));
  };

  describe('the first-purchase bonus', () => {
    it('is given again when the only purchase was reversed, and never stands twice', async () => {
      await add({ type: 'first_purchase', params: { points: 50 } });
      expect((await pay('fp-again', invoice('FPA'))).points).toBe(150);
      expect((await reverse('fp-again', 'FPA')).points).toBe(-150);
      expect((await pay('fp-again', invoice('FPA'))).points).toBe(150);
      expect((await reverse('fp-again', 'FPA')).points).toBe(-150);
      expect((await pay('fp-again', invoice('FPA'))).points).toBe(150);
      // Pay, reverse, pay, reverse, pay: one bonus stands (three given, two taken back with their payments).
      expect(await bonuses('fp-again', 'first_purchase')).toEqual([50, 50, 50]);
      expect((await memberOf(app.plugin, 'fp-again')).pointsAvailable).toBe(150);
      // And it is no first purchase any more.
      expect((await pay('fp-again', invoice('FPA-2'))).points).toBe(100);
    });

    it('a purchase that still stands keeps the member from a second one: a re-payment of the reversed first invoice earns without it', async () => {
      await add({ type: 'first_purchase', params: { points: 50 } });
      expect((await pay('fp-other', invoice('FPO-1'))).points).toBe(150);
      expect((await pay('fp-other', invoice('FPO-2'))).points).toBe(100);
      expect((await reverse('fp-other', 'FPO-1')).points).toBe(-150);
      expect((await pay('fp-other', invoice('FPO-1'))).points).toBe(100);
    });

    it('after the only purchase was refunded in full or charged back, the next purchase is the first; a partial refund leaves it standing', async () => {
      await add({ type: 'first_purchase', params: { points: 50 } });
      await pay('fp-refund', invoice('FPR-1'));
      expect((await refund('fp-refund', 'FPR-1', '100.00')).points).toBe(-150);
      expect((await pay('fp-refund', invoice('FPR-2'))).points).toBe(150);

      await pay('fp-cb', invoice('FPC-1'));
      expect((await chargeback('fp-cb', 'FPC-1')).points).toBe(-150);
      expect((await pay('fp-cb', invoice('FPC-2'))).points).toBe(150);

      await pay('fp-part', invoice('FPP-1'));
      expect((await refund('fp-part', 'FPP-1', '99.99')).points).toBe(-149);
      expect((await pay('fp-part', invoice('FPP-2'))).points).toBe(100);
    });
  });

  describe('caps count what stands', () => {
    it('a reversed award gives its cap back, so the re-payment earns what the payment did', async () => {
      const id = await add({ type: 'renewal_bonus', params: { percent: 100 }, cap: { points: 100, period: 'month' } });
      expect((await pay('cap-rev', invoice('CR', true))).points).toBe(200);
      expect((await reverse('cap-rev', 'CR')).points).toBe(-200);
      expect((await pay('cap-rev', invoice('CR', true))).points).toBe(200);
      // And the cap holds: the re-payment's bonus stands, so another renewal this month gets none.
      expect((await pay('cap-rev', invoice('CR-2', true))).points).toBe(100);
      expect(await bonuses('cap-rev', 'renewal_bonus')).toEqual([100, 100]);
      expect(id).toBeGreaterThan(0);
    });

    it('so does a payment refunded in full before its reversal (which then takes nothing more back)', async () => {
      await add({ type: 'renewal_bonus', params: { percent: 100 }, cap: { points: 100, period: 'month' } });
      await pay('cap-refrev', invoice('CRR', true));
      expect((await refund('cap-refrev', 'CRR', '100.00')).points).toBe(-200);
      expect((await reverse('cap-refrev', 'CRR')).points).toBe(0);
      expect((await pay('cap-refrev', invoice('CRR', true))).points).toBe(200);
      // The re-payment starts with no refunds, and its bonus stands.
      expect((await pay('cap-refrev', invoice('CRR-2', true))).points).toBe(100);
    });

    it('a refund gives back its share of the cap, a chargeback all of it', async () => {
      await add({ type: 'renewal_bonus', params: { percent: 100 }, cap: { points: 100, period: 'month' } });
      await pay('cap-refund', invoice('CF-1', true));
      // Half refunded: half of the bonus is taken back, so half of the cap is free again.
      expect((await refund('cap-refund', 'CF-1', '50.00')).points).toBe(-100);
      expect((await pay('cap-refund', invoice('CF-2', true))).points).toBe(150);
      expect((await pay('cap-refund', invoice('CF-3', true))).points).toBe(100);

      await pay('cap-cb', invoice('CC-1', true));
      expect((await chargeback('cap-cb', 'CC-1')).points).toBe(-200);
      expect((await pay('cap-cb', invoice('CC-2', true))).points).toBe(200);
    });

    it('a refund in a later period frees the period the award was counted in, not its own', async () => {
      await add({ type: 'renewal_bonus', params: { percent: 100 }, cap: { points: 100, period: 'month' } });
      await pay('cap-late', invoice('CL-1', true));
      app.clock.current = new Date('2026-12-02T12:00:00Z');
      expect((await refund('cap-late', 'CL-1', '100.00')).points).toBe(-200);
      // December's cap is December's: 100, not 100 plus November's given back.
      expect((await pay('cap-late', invoice('CL-2', true))).points).toBe(200);
      expect((await pay('cap-late', invoice('CL-3', true))).points).toBe(100);
    });

    it("the base rate's cap too", async () => {
      await app.plugin.services.program.update({ base_rule: { active: true, starts_at: null, ends_at: null, cap: { points: 150, period: 'day' } } });
      expect((await pay('cap-base', invoice('CB'))).points).toBe(100);
      expect((await reverse('cap-base', 'CB')).points).toBe(-100);
      expect((await pay('cap-base', invoice('CB'))).points).toBe(100);
      expect((await pay('cap-base', invoice('CB-2'))).points).toBe(50);
    });
  });
});
