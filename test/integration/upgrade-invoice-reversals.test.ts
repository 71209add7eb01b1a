import type { RuleInput } from '../../plugin/services/program-service';
import { deactivateRules, expectBalancesConsistent, invoicePaid, invoiceRefunded, invoiceReversed, memberOf, serviceEvent, startTestApp, tableCounts, type TestApp, type WireEvent } from '../support/harness';

/**
 * The points `service.upgraded` earns belong to the invoice that paid for the upgrade (the
 * invoice's upgrade line names the service): its refunds, chargeback and reversal take them
 * back with the invoice's own points, in proportion and bounded by what they earned, whatever
 * order the upgrade, the payment and the refund arrive in. On SQLite and MariaDB
 * (TEST_DATABASE_URL), with payments in group commits and each alone.
 */

/** `money_from: event`: the upgrade earns the money (100.00 → 100) and a 1-point bonus; the upgrade line earns nothing. */
const MONEY_FROM_EVENT: Omit<RuleInput, 'active'> = { type: 'service_upgrade', params: { points: 1, money_from: 'event' } };
/** The default: the upgrade line earns the money (100), the upgrade a flat 50. */
const FLAT_BONUS: Omit<RuleInput, 'active'> = { type: 'service_upgrade', params: { points: 50 } };

const upgrade = (client: string, tag = 'up', prices = { previous_amount: '10.00', amount: '110.00' }, occurredAt?: string): WireEvent =>
  serviceEvent('service.upgraded', client, { id: 'S1', ...prices }, { tag, ...(occurredAt && { occurred_at: occurredAt }) });
const invoiceOf = (client: string) => `${client}-UPG`;
const paid = (client: string, options: { invoice?: string; amount?: string; id?: string; occurredAt?: string } = {}): WireEvent => {
  const amount = options.amount ?? '100.00';
  return invoicePaid({
    ...(options.id && { id: options.id }),
    client: { id: client },
    invoice: { id: options.invoice ?? invoiceOf(client), total: amount, items: [{ type: 'upgrade', service_id: 'S1', amount }] },
    ...(options.occurredAt && { occurred_at: options.occurredAt }),
  });
};
const refund = (client: string, amount: string, invoice = invoiceOf(client), total = '100.00'): WireEvent =>
  invoiceRefunded(invoice, amount, { client: { id: client }, invoice: { total } });
const reversal = (client: string, options: { occurredAt?: string; id?: string } = {}): WireEvent =>
  invoiceReversed(invoiceOf(client), { client: { id: client }, invoice: { total: '100.00' }, ...(options.id && { id: options.id }), ...(options.occurredAt && { occurred_at: options.occurredAt }) });
const chargeback = (client: string): WireEvent => ({
  id: `test:chargeback:${invoiceOf(client)}`,
  type: 'invoice.chargeback',
  occurred_at: '2026-11-22T10:15:00Z',
  client: { id: client },
  invoice: { id: invoiceOf(client), currency: 'USD', total: '100.00' },
});

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe.each([
  ['payments in group commits', 32],
  ['each payment alone', 1],
])('an upgrade invoice’s refunds and reversals take back what the upgrade earned for it (%s)', (_, ingestBatchMax) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ config: { ingestBatchMax } });
  });
  afterAll(() => app.close());
  afterEach(async () => {
    await expectBalancesConsistent(app.plugin);
    await deactivateRules(app.plugin);
  });

  const add = (input: Omit<RuleInput, 'active'>) => app.plugin.services.program.addRule({ active: true, ...input });
  const member = (clientId: string) => memberOf(app.plugin, clientId);
  const send = async (event: WireEvent) => (await app.send(event).expect(200)).body as { outcome: string; points: number; detail?: string };
  /** Sends, then sends again: the replay answers `duplicate` with the first answer and writes nothing. */
  const sendTwice = async (event: WireEvent) => {
    const first = await send(event);
    const before = await tableCounts(app.plugin);
    const again = await send(event);
    expect(again).toMatchObject({ outcome: 'duplicate', points: first.points });
    expect(await tableCounts(app.plugin)).toEqual(before);
    return first;
  };

  it('money_from event: a full refund of the upgrade invoice takes back the 101 the upgrade earned for it, once', async () => {
    await add(MONEY_FROM_EVENT);
    expect(await send(upgrade('a-1'))).toMatchObject({ outcome: 'applied', points: 101 });
    expect(await send(paid('a-1'))).toMatchObject({ points: 0, detail: 'below_one_point' });
    expect(await sendTwice(refund('a-1', '100.00'))).toMatchObject({ outcome: 'applied', points: -101 });
    expect(await member('a-1')).toMatchObject({ pointsAvailable: 0, pointsPending: 0, pointsLifetime: 0 });
  });

  it('money_from event: partial refunds take back their share, never more than the upgrade earned', async () => {
    await add(MONEY_FROM_EVENT);
    await send(upgrade('a-2'));
    await send(paid('a-2'));
    // floor(101 × 30/100), then the rest of 101 once the whole 100.00 is refunded.
    expect(await sendTwice(refund('a-2', '30.00'))).toMatchObject({ points: -30 });
    expect(await sendTwice(refund('a-2', '70.00'))).toMatchObject({ points: -71 });
    expect(await send(refund('a-2', '10.00'))).toMatchObject({ points: 0, detail: 'nothing_to_reverse' });
    expect((await member('a-2')).pointsAvailable).toBe(0);
  });

  it('money_from event: invoice.reversed takes the upgrade’s points back once; a re-payment earns them again', async () => {
    await add(MONEY_FROM_EVENT);
    await send(upgrade('a-3'));
    await send(paid('a-3'));
    expect(await sendTwice(reversal('a-3', { occurredAt: '2026-11-22T11:00:00Z' }))).toMatchObject({ outcome: 'applied', points: -101 });
    expect(await member('a-3')).toMatchObject({ pointsAvailable: 0, pointsLifetime: 0 });
    const repay = await sendTwice(paid('a-3', { id: 'test:invoice:a-3-UPG:paid:2', occurredAt: '2026-11-22T12:00:00Z' }));
    expect(repay).toMatchObject({ outcome: 'applied', points: 101 });
    expect((await member('a-3')).pointsAvailable).toBe(101);
    // Reversed again: taken again, and only what stands.
    expect(await send(reversal('a-3', { occurredAt: '2026-11-22T13:00:00Z' }))).toMatchObject({ points: -101 });
    expect((await member('a-3')).pointsAvailable).toBe(0);
  });

  it('lines mode: a reversal, a chargeback or a full refund takes back the flat upgrade bonus with the line’s points; a partial refund its share', async () => {
    await add(FLAT_BONUS);
    const earned: Record<string, number> = {};
    for (const c of ['b-rev', 'b-cb', 'b-ref', 'b-part']) {
      earned[c] = (await send(upgrade(c))).points + (await send(paid(c))).points;
    }
    expect(earned).toEqual({ 'b-rev': 150, 'b-cb': 150, 'b-ref': 150, 'b-part': 150 });
    expect(await sendTwice(reversal('b-rev'))).toMatchObject({ points: -150 });
    expect(await sendTwice(chargeback('b-cb'))).toMatchObject({ points: -150 });
    expect(await sendTwice(refund('b-ref', '100.00'))).toMatchObject({ points: -150 });
    // 40% of the line's 100 and of the bonus's 50.
    expect(await sendTwice(refund('b-part', '40.00'))).toMatchObject({ points: -60 });
    for (const c of ['b-rev', 'b-cb', 'b-ref']) expect((await member(c)).pointsAvailable).toBe(0);
    expect((await member('b-part')).pointsAvailable).toBe(90);
  });

  describe('every delivery order of the upgrade, its payment and the take-back ends the same', () => {
    const cases = [
      { name: 'money_from event', rule: MONEY_FROM_EVENT, takeBack: 'refund 40.00', expected: 101 - 40 },
      { name: 'money_from event', rule: MONEY_FROM_EVENT, takeBack: 'reversed', expected: 0 },
      { name: 'flat bonus', rule: FLAT_BONUS, takeBack: 'refund 40.00', expected: 100 - 40 + (50 - 20) },
      { name: 'flat bonus', rule: FLAT_BONUS, takeBack: 'reversed', expected: 0 },
    ];
    it.each(cases)('$name, $takeBack → $expected', async ({ name, rule, takeBack, expected }) => {
      await add(rule);
      const orders = permutations(['upgrade', 'paid', 'take-back'] as const);
      const balances: Record<string, number> = {};
      for (const [n, order] of orders.entries()) {
        const client = `o-${name.split(' ')[0]}-${takeBack.split(' ')[0]}-${n}`;
        const events = {
          upgrade: upgrade(client),
          paid: paid(client),
          'take-back': takeBack === 'reversed' ? reversal(client) : refund(client, '40.00'),
        };
        let answered = 0;
        for (const step of order) answered += (await send(events[step])).points;
        const m = await member(client);
        // Each answer is the event's net effect: they add up to the balance.
        expect(answered).toBe(m.pointsAvailable + m.pointsPending);
        // Redelivered, in the same order: duplicates that change nothing.
        for (const step of order) expect((await send(events[step])).outcome).toBe('duplicate');
        balances[order.join(' → ')] = (await member(client)).pointsAvailable;
        await expectBalancesConsistent(app.plugin);
      }
      expect(balances).toEqual(Object.fromEntries(orders.map((o) => [o.join(' → '), expected])));
    });
  });

  it('two upgrades of one service, delivered out of order: each invoice takes back its own upgrade’s points', async () => {
    await add(MONEY_FROM_EVENT);
    const first = { at: '2026-11-10T09:00:00Z', invoice: 'c-1-A' };
    const second = { at: '2026-11-20T09:00:00Z', invoice: 'c-1-B' };
    // 5.00 → 50.00 earns 45 + 1; 50.00 → 110.00 earns 60 + 1.
    await send(paid('c-1', { invoice: first.invoice, amount: '45.00', occurredAt: first.at }));
    await send(paid('c-1', { invoice: second.invoice, amount: '60.00', occurredAt: second.at }));
    expect(await send(upgrade('c-1', 'second', { previous_amount: '50.00', amount: '110.00' }, second.at))).toMatchObject({ points: 61 });
    expect(await send(upgrade('c-1', 'first', { previous_amount: '5.00', amount: '50.00' }, first.at))).toMatchObject({ points: 46 });
    expect(await send(refund('c-1', '60.00', second.invoice, '60.00'))).toMatchObject({ points: -61 });
    expect((await member('c-1')).pointsAvailable).toBe(46);
    expect(await send(refund('c-1', '45.00', first.invoice, '45.00'))).toMatchObject({ points: -46 });
    expect((await member('c-1')).pointsAvailable).toBe(0);
  });

  it('pending points: the take-back draws the upgrade’s own pending lots first', async () => {
    await app.plugin.services.program.update({ refund_window_days: 14 });
    try {
      await add(FLAT_BONUS);
      await send(upgrade('d-1'));
      await send(paid('d-1'));
      expect(await member('d-1')).toMatchObject({ pointsAvailable: 0, pointsPending: 150 });
      expect(await send(refund('d-1', '100.00'))).toMatchObject({ points: -150 });
      expect(await member('d-1')).toMatchObject({ pointsAvailable: 0, pointsPending: 0 });
    } finally {
      await app.plugin.services.program.update({ refund_window_days: 0 });
    }
  });

  it('the take-back draws the upgrade’s own lots, not a newer pending bonus of the same service', async () => {
    await app.plugin.services.program.update({ refund_window_days: 14 });
    try {
      await add(FLAT_BONUS);
      await add({ type: 'renewal_streak', params: { streak: 1, points: 30 } });
      await send(upgrade('d-2'));
      await send(paid('d-2'));
      await send(serviceEvent('service.renewed', 'd-2', { id: 'S1', amount: '110.00' }, { tag: 'renewed' }));
      const m = await member('d-2');
      expect(m).toMatchObject({ pointsAvailable: 0, pointsPending: 180 });
      expect(await send(refund('d-2', '100.00'))).toMatchObject({ points: -150 });
      // The streak bonus's lot is whole; the upgrade's and the invoice's are spent.
      const { entries } = await app.plugin.db.repos.ledger.pageForMember(m.id, { limit: 20 });
      const streak = entries.find((e) => e.reasonCode === 'renewal_streak');
      const lots = await app.plugin.db.repos.lots.withRemaining(m.id);
      expect(lots.map((l) => [l.ledgerId, l.remaining])).toEqual([[streak?.id, 30]]);
    } finally {
      await app.plugin.services.program.update({ refund_window_days: 0 });
    }
  });

  it('the take-backs name the invoice by the number its payment sent, though the refund, chargeback or reversal sends none', async () => {
    await add(MONEY_FROM_EVENT);
    const numbered = (event: WireEvent, number: string): WireEvent => ({ ...event, invoice: { ...(event.invoice as NonNullable<WireEvent['invoice']>), number } });
    // Refunded before the upgrade came: its take-back is settled when the upgrade pairs with the invoice.
    await send(numbered(paid('n-1'), 'UPG-2026-0001'));
    await send(refund('n-1', '40.00'));
    expect(await send(upgrade('n-1'))).toMatchObject({ points: 101 - 40 });
    // The upgrade first, then the payment, then a chargeback or a reversal.
    for (const [client, number, takeBack] of [
      ['n-2', 'UPG-2026-0002', chargeback],
      ['n-3', 'UPG-2026-0003', reversal],
    ] as const) {
      await send(upgrade(client));
      await send(numbered(paid(client), number));
      expect(await send(takeBack(client))).toMatchObject({ points: -101 });
    }
    const named = async (client: string) => {
      const { entries } = await app.plugin.db.repos.ledger.pageForMember((await member(client)).id, { limit: 20 });
      return entries.filter((e) => e.kind === 'reverse').map((e) => [e.reasonCode, e.reasonParams.invoice]);
    };
    expect(await named('n-1')).toEqual([['invoice_refunded', 'UPG-2026-0001']]);
    expect(await named('n-2')).toEqual([['invoice_chargeback', 'UPG-2026-0002']]);
    expect(await named('n-3')).toEqual([['invoice_reversed', 'UPG-2026-0003']]);
  });

  it('an upgrade line that names no service links to no upgrade: its refund takes back the invoice’s own points only', async () => {
    await add(FLAT_BONUS);
    await send(upgrade('e-1'));
    await send(invoicePaid({ client: { id: 'e-1' }, invoice: { id: 'e-1-UPG', total: '100.00', items: [{ type: 'upgrade', amount: '100.00' }] } }));
    expect(await send(refund('e-1', '100.00'))).toMatchObject({ points: -100 });
    expect((await member('e-1')).pointsAvailable).toBe(50);
  });
});
