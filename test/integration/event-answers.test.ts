import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, type TestApp } from '../support/harness';

/** What the webhook answers is what happened to the member, and a bad refund changes nothing. */
describe('event answers', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  let n = 0;
  const member = (clientId: string) => app.plugin.db.repos.members.findByPanelClientId(clientId);
  const takeBack = (type: 'invoice.refunded' | 'invoice.chargeback', clientId: string, invoice: Record<string, unknown>) => ({
    id: `test:${type}:${clientId}:${++n}`,
    type,
    occurred_at: '2026-11-23T12:00:00Z',
    client: { id: clientId },
    invoice,
  });
  const eventEntries = async (eventId: string) => {
    const inbox = await app.plugin.db.knex('loyalty_events').where({ source: 'test', external_id: eventId }).first();
    const rows = await app.plugin.db.knex('loyalty_ledger').where({ event_id: inbox.id }).orderBy('id');
    return { inbox, rows: rows.map((r) => [r.kind, Number(r.delta)]) };
  };

  it('a written-off chargeback answers the net effect, with the write-off shown apart, and a replay repeats it', async () => {
    await app.plugin.services.program.update({ refund_window_days: 0, debt_policy: 'write_off', chargeback_penalty_points: 50 });
    try {
      const paid = invoicePaid({ client: { id: 'wo-1' }, invoice: { id: 'WO1', total: '10.00', items: [{ type: 'renewal', amount: '10.00' }] } });
      await app.send(paid).expect(200);
      const chargeback = takeBack('invoice.chargeback', 'wo-1', { id: 'WO1', currency: 'USD', total: '10.00' });
      const res = await app.send(chargeback).expect(200);
      // The member had 10 points: the reversal takes them, the penalty of 50 finds nothing left
      // and the write-off policy forgives it. They lost 10.
      expect(res.body).toEqual({ event: chargeback.id, outcome: 'applied', points: -10, written_off: 50 });
      expect((await member('wo-1'))?.pointsAvailable).toBe(0);
      const { inbox, rows } = await eventEntries(chargeback.id);
      expect(rows).toEqual([
        ['reverse', -10],
        ['adjust', -50],
        ['adjust', 50],
      ]);
      expect([Number(inbox.points), Number(inbox.written_off)]).toEqual([-10, 50]);
      const again = await app.send(chargeback).expect(200);
      expect(again.body).toEqual({ event: chargeback.id, outcome: 'duplicate', first_outcome: 'applied', points: -10, written_off: 50 });
    } finally {
      await app.plugin.services.program.update({ refund_window_days: 0, debt_policy: 'debt', chargeback_penalty_points: 0 });
    }
  });

  it('a refund of points already spent, written off, answers what the member lost', async () => {
    await app.plugin.services.program.update({ refund_window_days: 0, debt_policy: 'write_off' });
    try {
      await app.send(invoicePaid({ client: { id: 'wo-2' }, invoice: { id: 'WO2' } })).expect(200);
      const m = await member('wo-2');
      await app.plugin.db.transaction(async (tx) =>
        (await MemberAccount.lock(tx, { id: m?.id ?? 0 }))?.debit({ points: 100, kind: 'adjust', reasonCode: 'test_spend', reducesLifetime: false, debtPolicy: 'write_off' }),
      );
      const refund = takeBack('invoice.refunded', 'wo-2', { id: 'WO2', currency: 'USD', total: '120.00', refunded: '120.00' });
      const res = await app.send(refund).expect(200);
      expect(res.body).toMatchObject({ outcome: 'applied', points: -20, written_off: 100 });
      expect((await member('wo-2'))?.pointsAvailable).toBe(0);
    } finally {
      await app.plugin.services.program.update({ refund_window_days: 0, debt_policy: 'debt' });
    }
  });

  describe('a refund or chargeback in another currency than the invoice', () => {
    beforeAll(async () => {
      await app.send(invoicePaid({ client: { id: 'fx-1' }, invoice: { id: 'FX1', total: '100.00', items: [{ type: 'renewal', amount: '100.00' }] } })).expect(200);
    });

    it.each([
      ['invoice.refunded', { id: 'FX1', currency: 'KWD', total: '100.000', refunded: '10.000' }],
      ['invoice.chargeback', { id: 'FX1', currency: 'EUR', total: '100.00' }],
    ] as const)('%s is refused with 422 naming invoice.currency, and nothing is written', async (type, invoice) => {
      const before = await tableCounts(app.plugin);
      const invoiceRow = await app.plugin.db.knex('loyalty_invoices').where({ invoice_id: 'FX1' }).first();
      const res = await app.send(takeBack(type, 'fx-1', invoice)).expect(422);
      expect(res.body).toMatchObject({ error: 'validation_failed', fields: [{ path: 'invoice.currency', message: expect.stringContaining('USD') }] });
      expect(await tableCounts(app.plugin)).toEqual(before);
      expect(await app.plugin.db.knex('loyalty_invoices').where({ invoice_id: 'FX1' }).first()).toEqual(invoiceRow);
      expect((await member('fx-1'))?.pointsAvailable).toBe(100);
    });

    it('a payment in another currency than a refund that came first is refused too', async () => {
      await app.send(takeBack('invoice.refunded', 'fx-2', { id: 'FX2', currency: 'USD', total: '50.00', refunded: '5.00' })).expect(200);
      const res = await app.send(invoicePaid({ client: { id: 'fx-2' }, invoice: { id: 'FX2', currency: 'EUR', total: '50.00', items: [{ type: 'renewal', amount: '50.00' }] } })).expect(422);
      expect(res.body.fields).toEqual([{ path: 'invoice.currency', message: expect.stringContaining('USD') }]);
    });
  });
});
