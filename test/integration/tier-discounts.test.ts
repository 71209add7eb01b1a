import { DemoPanelApi } from '../../plugin/panels/demo/demo-panel-api';
import { expectBalancesConsistent, invoicePaid, invoiceRefunded, invoiceReversed, startTestApp, type TestApp, type WireEvent } from '../support/harness';

let n = 0;

/** A renewal invoice: 100.00 of renewal (discountable) and 20.00 of domain (not). */
function renewalInvoice(clientId: string, invoiceId: string, locale = 'en') {
  return {
    id: `test:invoice:${invoiceId}:created:${++n}`,
    type: 'invoice.created',
    occurred_at: '2026-11-23T12:00:00Z',
    client: { id: clientId, locale },
    invoice: {
      id: invoiceId,
      currency: 'USD',
      total: '120.00',
      items: [
        { id: `${invoiceId}-1`, type: 'renewal', service_id: '77', billing_cycle: 'monthly', amount: '100.00' },
        { id: `${invoiceId}-2`, type: 'domain', amount: '20.00' },
      ],
    },
  };
}

describe('tier discounts on renewals', () => {
  let app: TestApp;
  const panel = new DemoPanelApi();
  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel });
  });
  afterAll(() => app.close());
  afterEach(() => expectBalancesConsistent(app.plugin));

  const outbox = (key: string) => app.plugin.db.knex('loyalty_outbox').where({ idempotency_key: key });
  const reachGold = (clientId: string, locale = 'en') =>
    app.send(invoicePaid({ client: { id: clientId, locale }, invoice: { id: `${clientId}-spend`, total: '2000.00', items: [] } })).expect(200);

  it('adds the tier discount as a negative invoice line, once per invoice, through the outbox', async () => {
    await reachGold('g-1');
    const event = renewalInvoice('g-1', 'INV-G1');
    const res = await app.send(event).expect(200);
    expect(res.body).toMatchObject({ outcome: 'applied', detail: 'tier_discount_queued' });
    await app.send(event).expect(200); // replay
    await app.send({ ...event, id: `${event.id}:again` }).expect(200); // same invoice, new event id
    const rows = await outbox('tier-discount:invoice:INV-G1');
    expect(rows).toHaveLength(1);
    // Gold is 5%: of the 100.00 renewal line only, floor-rounded.
    expect(JSON.parse(rows[0].payload)).toEqual({
      invoiceId: 'INV-G1',
      amount: { currency: 'USD', minor: 500 },
      description: 'Gold tier renewal discount (5%)',
    });
    await app.plugin.jobs.dispatchOutbox();
    const sent = panel.recent().filter((a) => a.idempotencyKey === 'tier-discount:invoice:INV-G1');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'invoice_discount', invoiceId: 'INV-G1', amount: { currency: 'USD', minor: -500 } });
  });

  it('words the line in the client’s language', async () => {
    await reachGold('g-ru', 'ru');
    await app.send(renewalInvoice('g-ru', 'INV-RU', 'ru')).expect(200);
    const [row] = await outbox('tier-discount:invoice:INV-RU');
    // The tier's name as the program gives it in Russian (seeded by 20261126005010_seed_tier_names).
    expect(JSON.parse(row.payload).description).toBe('Скидка уровня Золотой на продление (5%)');
  });

  it('gives no discount in the entry tier', async () => {
    const res = await app.send(renewalInvoice('g-bronze', 'INV-B')).expect(200);
    expect(res.body.detail).toBe('no_invoice_discount');
    expect(await outbox('tier-discount:invoice:INV-B')).toHaveLength(0);
  });

  it('cashback method: credits the discount back when the renewal is paid, once', async () => {
    await app.plugin.services.program.update({ tier_discount_method: 'cashback' });
    try {
      await reachGold('g-cash');
      const created = await app.send(renewalInvoice('g-cash', 'INV-C')).expect(200);
      expect(created.body.detail).toBe('no_invoice_discount');
      const pay = invoicePaid({
        client: { id: 'g-cash' },
        invoice: { id: 'INV-C', total: '120.00', items: [{ type: 'renewal', amount: '100.00' }, { type: 'domain', amount: '20.00' }] },
      });
      await app.send(pay).expect(200);
      await app.send({ ...pay, id: `${pay.id}:refire` }).expect(200);
      const rows = await outbox('tier-cashback:invoice:INV-C');
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0].payload)).toMatchObject({ clientId: 'g-cash', amount: { currency: 'USD', minor: 500 } });
    } finally {
      await app.plugin.services.program.update({ tier_discount_method: 'invoice_line' });
    }
  });

  it('cashback method: none for a renewal charged back before payment; withdrawn by a full refund before it is sent', async () => {
    await app.plugin.services.program.update({ tier_discount_method: 'cashback' });
    const renewalPaid = (invoiceId: string) =>
      invoicePaid({
        client: { id: 'g-cash2' },
        invoice: { id: invoiceId, total: '120.00', items: [{ type: 'renewal', amount: '100.00' }, { type: 'domain', amount: '20.00' }] },
      });
    const takeBack = (type: string, invoiceId: string) => ({
      id: `test:${type}:${invoiceId}:${++n}`,
      type,
      occurred_at: '2026-11-23T12:00:00Z',
      client: { id: 'g-cash2' },
      invoice: { id: invoiceId, currency: 'USD', total: '120.00', refunded: '120.00' },
    });
    try {
      await reachGold('g-cash2');
      await app.send(takeBack('invoice.chargeback', 'INV-CB')).expect(200);
      await app.send(renewalPaid('INV-CB')).expect(200);
      expect(await outbox('tier-cashback:invoice:INV-CB')).toHaveLength(0);

      await app.send(renewalPaid('INV-RF')).expect(200);
      expect((await outbox('tier-cashback:invoice:INV-RF'))[0].state).toBe('pending');
      await app.send(takeBack('invoice.refunded', 'INV-RF')).expect(200);
      expect((await outbox('tier-cashback:invoice:INV-RF'))[0].state).toBe('cancelled');
      await app.plugin.jobs.dispatchOutbox();
      expect(panel.recent().some((a) => a.idempotencyKey === 'tier-cashback:invoice:INV-RF')).toBe(false);
    } finally {
      await app.plugin.services.program.update({ tier_discount_method: 'invoice_line' });
    }
  });

  it('client-tier method: the panel is told each tier change, for its own group discount', async () => {
    await app.plugin.services.program.update({ tier_discount_method: 'client_tier' });
    try {
      await reachGold('g-tier');
      await app.plugin.jobs.dispatchOutbox();
      expect(panel.tierOf('g-tier')).toBe('Gold');
      const created = await app.send(renewalInvoice('g-tier', 'INV-T')).expect(200);
      expect(created.body.detail).toBe('no_invoice_discount');
    } finally {
      await app.plugin.services.program.update({ tier_discount_method: 'invoice_line' });
    }
  });

  describe('events out of order (DESIGN §5.1: the same events in any order, one effect)', () => {
    const chargeback = (clientId: string, invoiceId: string): WireEvent => ({
      id: `test:invoice:${invoiceId}:chargeback:${++n}`,
      type: 'invoice.chargeback',
      occurred_at: '2026-11-22T10:15:00Z',
      client: { id: clientId },
      invoice: { id: invoiceId, currency: 'USD', total: '120.00' },
    });
    const sentFor = (key: string) => panel.recent(1000).filter((a) => a.idempotencyKey === key);

    /** Runs `body` under the tier discount method, leaving the program on `invoice_line`. */
    async function withMethod(method: 'cashback' | 'invoice_line', body: () => Promise<void>): Promise<void> {
      await app.plugin.services.program.update({ tier_discount_method: method });
      try {
        await body();
      } finally {
        await app.plugin.services.program.update({ tier_discount_method: 'invoice_line' });
      }
    }

    it.each<[string, (clientId: string, invoiceId: string) => WireEvent[]]>([
      ['paid', (c, i) => [invoicePaid({ client: { id: c }, invoice: { id: i } })]],
      ['refunded before its payment reached us', (c, i) => [invoiceRefunded(i, '60.00', { client: { id: c } })]],
      ['charged back', (c, i) => [chargeback(c, i)]],
      ['paid, then reversed (unpaid again)', (c, i) => [invoicePaid({ client: { id: c }, invoice: { id: i } }), invoiceReversed(i, { client: { id: c } })]],
      ['reversed before its payment reached us', (c, i) => [invoiceReversed(i, { client: { id: c } })]],
    ])('a late invoice.created queues no discount line for an invoice %s', async (_, before) => {
      const clientId = `late-${++n}`;
      const invoiceId = `INV-LATE-${n}`;
      await reachGold(clientId);
      for (const event of before(clientId, invoiceId)) await app.send(event).expect(200);
      // A retried delivery: stamped before the payment, delivered after it.
      const created = { ...renewalInvoice(clientId, invoiceId), occurred_at: '2026-11-22T10:00:00Z' };
      expect((await app.send(created).expect(200)).body).toMatchObject({ outcome: 'applied', points: 0, detail: 'already_paid' });
      expect(await outbox(`tier-discount:invoice:${invoiceId}`)).toHaveLength(0);
      await app.plugin.jobs.dispatchOutbox();
      expect(sentFor(`tier-discount:invoice:${invoiceId}`)).toHaveLength(0);
    });

    it.each<[string, Array<'pay' | '30' | '60'>]>([
      ['paid, then 60.00 refunded', ['pay', '60']],
      ['60.00 refunded, then paid', ['60', 'pay']],
      ['paid, then refunded 30.00 twice', ['pay', '30', '30']],
      ['30.00 refunded, paid, 30.00 refunded', ['30', 'pay', '30']],
      ['refunded 30.00 twice, then paid', ['30', '30', 'pay']],
    ])('cashback method: half of a 120.00 renewal refunded leaves half the cashback, in any order: %s', async (_, steps) => {
      await withMethod('cashback', async () => {
        const clientId = `cb-half-${++n}`;
        const invoiceId = `INV-HALF-${n}`;
        await reachGold(clientId);
        for (const [i, step] of steps.entries()) {
          const event =
            step === 'pay'
              ? invoicePaid({ client: { id: clientId }, invoice: { id: invoiceId } })
              : invoiceRefunded(invoiceId, `${step}.00`, { client: { id: clientId }, id: `test:invoice:${invoiceId}:refund:${i}` });
          await app.send(event).expect(200);
        }
        const [row] = await outbox(`tier-cashback:invoice:${invoiceId}`);
        expect(row.state).toBe('pending');
        // Gold's 5% of the 100.00 renewal line is 5.00; half the invoice was refunded.
        expect(JSON.parse(row.payload).amount).toEqual({ currency: 'USD', minor: 250 });
        await app.plugin.jobs.dispatchOutbox();
        expect(sentFor(`tier-cashback:invoice:${invoiceId}`)).toEqual([expect.objectContaining({ kind: 'credit', clientId, amount: { currency: 'USD', minor: 250 } })]);
      });
    });

    it('cashback method: an invoice paid before its row kept the cashback scales what is queued', async () => {
      await withMethod('cashback', async () => {
        await reachGold('cb-legacy');
        await app.send(invoicePaid({ client: { id: 'cb-legacy' }, invoice: { id: 'INV-LEGACY' } })).expect(200);
        await app.send(invoiceRefunded('INV-LEGACY', '30.00', { client: { id: 'cb-legacy' } })).expect(200);
        expect(JSON.parse((await outbox('tier-cashback:invoice:INV-LEGACY'))[0].payload).amount.minor).toBe(375);
        // As a row from before the cashback_minor column reads.
        await app.plugin.db.knex('loyalty_invoices').where({ invoice_id: 'INV-LEGACY' }).update({ cashback_minor: null });
        await app.send(invoiceRefunded('INV-LEGACY', '60.00', { client: { id: 'cb-legacy' } })).expect(200);
        // 3.75 on the 90.00 not refunded before, of which 30.00 is left: floor(375 × 30 / 90).
        expect(JSON.parse((await outbox('tier-cashback:invoice:INV-LEGACY'))[0].payload).amount.minor).toBe(125);
      });
    });

    it('cashback method: a refund after the dispatcher took the cashback up leaves it, as one already sent', async () => {
      await withMethod('cashback', async () => {
        await reachGold('cb-claimed');
        await app.send(invoicePaid({ client: { id: 'cb-claimed' }, invoice: { id: 'INV-CLAIMED' } })).expect(200);
        // A claim whose send failed: it may have reached the panel, which reconciles the retry by key.
        await outbox('tier-cashback:invoice:INV-CLAIMED').update({ attempts: 1 });
        await app.send(invoiceRefunded('INV-CLAIMED', '60.00', { client: { id: 'cb-claimed' } })).expect(200);
        const [row] = await outbox('tier-cashback:invoice:INV-CLAIMED');
        expect(row.state).toBe('pending');
        expect(JSON.parse(row.payload).amount.minor).toBe(500);
      });
    });

    it('cashback method: a refund that leaves no whole cent of it withdraws the cashback', async () => {
      await withMethod('cashback', async () => {
        await reachGold('cb-cent');
        // 5% of a 0.20 renewal is 1 cent; a refund of half the invoice leaves half a cent, floored.
        const items = [{ type: 'renewal', amount: '0.20' }];
        await app.send(invoicePaid({ client: { id: 'cb-cent' }, invoice: { id: 'INV-CENT', total: '0.20', items } })).expect(200);
        expect(JSON.parse((await outbox('tier-cashback:invoice:INV-CENT'))[0].payload).amount.minor).toBe(1);
        await app.send(invoiceRefunded('INV-CENT', '0.10', { client: { id: 'cb-cent' }, invoice: { total: '0.20' } })).expect(200);
        expect((await outbox('tier-cashback:invoice:INV-CENT'))[0].state).toBe('cancelled');
      });
    });

    it('cashback method: a re-payment after a reversal gets the cashback the reversal withdrew, once', async () => {
      await withMethod('cashback', async () => {
        await reachGold('cb-rev');
        const pay = invoicePaid({ client: { id: 'cb-rev' }, invoice: { id: 'INV-REV' } });
        await app.send(pay).expect(200);
        await app.send(invoiceReversed('INV-REV', { client: { id: 'cb-rev' } })).expect(200);
        expect((await outbox('tier-cashback:invoice:INV-REV'))[0].state).toBe('cancelled');

        const repay = { ...pay, id: `${pay.id}:again` };
        await app.send(repay).expect(200);
        await app.send(repay).expect(200); // replay
        await app.send({ ...repay, id: `${repay.id}:refire` }).expect(200); // the panel's hook again, a new id
        const rows = await outbox('tier-cashback:invoice:INV-REV');
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ state: 'pending', attempts: 0, last_error: null });
        expect(JSON.parse(rows[0].payload)).toMatchObject({ clientId: 'cb-rev', amount: { currency: 'USD', minor: 500 } });
        await app.plugin.jobs.dispatchOutbox();
        await app.plugin.jobs.dispatchOutbox();
        expect(sentFor('tier-cashback:invoice:INV-REV')).toEqual([expect.objectContaining({ kind: 'credit', amount: { currency: 'USD', minor: 500 } })]);
      });
    });

    it('cashback method: a reversal that overtook the first payment leaves one cashback for the re-payment, as in order', async () => {
      await withMethod('cashback', async () => {
        await reachGold('cb-rev-first');
        const pay = invoicePaid({ client: { id: 'cb-rev-first' }, invoice: { id: 'INV-REV-FIRST' } });
        await app.send(invoiceReversed('INV-REV-FIRST', { client: { id: 'cb-rev-first' } })).expect(200);
        expect((await app.send(pay).expect(200)).body.detail).toBe('reversed_before_payment');
        expect(await outbox('tier-cashback:invoice:INV-REV-FIRST')).toHaveLength(0);
        await app.send({ ...pay, id: `${pay.id}:again` }).expect(200);
        const rows = await outbox('tier-cashback:invoice:INV-REV-FIRST');
        expect(rows).toHaveLength(1);
        expect(rows[0].state).toBe('pending');
        expect(JSON.parse(rows[0].payload).amount.minor).toBe(500);
      });
    });

    it('cashback method: a cashback the panel got before the reversal stands for the re-payment too', async () => {
      await withMethod('cashback', async () => {
        await reachGold('cb-rev-sent');
        const pay = invoicePaid({ client: { id: 'cb-rev-sent' }, invoice: { id: 'INV-REV-SENT' } });
        await app.send(pay).expect(200);
        await app.plugin.jobs.dispatchOutbox();
        await app.send(invoiceReversed('INV-REV-SENT', { client: { id: 'cb-rev-sent' } })).expect(200);
        await app.send({ ...pay, id: `${pay.id}:again` }).expect(200);
        const rows = await outbox('tier-cashback:invoice:INV-REV-SENT');
        expect(rows).toHaveLength(1);
        expect(rows[0].state).toBe('sent');
        await app.plugin.jobs.dispatchOutbox();
        expect(sentFor('tier-cashback:invoice:INV-REV-SENT')).toHaveLength(1);
      });
    });

    it('cashback method: after a reversal and a re-payment, a partial refund scales the new cashback', async () => {
      await withMethod('cashback', async () => {
        await reachGold('cb-rev-refund');
        const pay = invoicePaid({ client: { id: 'cb-rev-refund' }, invoice: { id: 'INV-RR' } });
        await app.send(pay).expect(200);
        await app.send(invoiceRefunded('INV-RR', '30.00', { client: { id: 'cb-rev-refund' } })).expect(200);
        await app.send(invoiceReversed('INV-RR', { client: { id: 'cb-rev-refund' } })).expect(200);
        await app.send({ ...pay, id: `${pay.id}:again` }).expect(200);
        // The reversal undid the first payment's refund with it: the re-payment starts whole.
        expect(JSON.parse((await outbox('tier-cashback:invoice:INV-RR'))[0].payload).amount.minor).toBe(500);
        await app.send(invoiceRefunded('INV-RR', '60.00', { client: { id: 'cb-rev-refund' } })).expect(200);
        expect(JSON.parse((await outbox('tier-cashback:invoice:INV-RR'))[0].payload).amount.minor).toBe(250);
      });
    });
  });
});
