import http from 'node:http';
import {
  clientEvent,
  expectBalancesConsistent,
  invoicePaid,
  StandardWebhookSigner,
  startTestApp,
  tableCounts,
  type TestApp,
} from '../support/harness';

describe('POST /hooks/events', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  afterEach(() => expectBalancesConsistent(app.plugin));

  describe('invoice.paid', () => {
    it('awards floor(basis × rate) points, enrols the client and answers applied', async () => {
      const event = invoicePaid({ client: { id: 'c-award' } });
      const res = await app.send(event).expect(200);
      expect(res.body).toEqual({ event: event.id, outcome: 'applied', points: 120 });
      const member = await app.plugin.db.repos.members.findByPanelClientId('c-award');
      expect(member).toMatchObject({ pointsAvailable: 120, pointsLifetime: 120, email: 'ann@example.com', locale: 'en', currency: 'USD' });
      const { entries } = await app.plugin.db.repos.ledger.pageForMember(member!.id, { limit: 10 });
      expect(entries).toEqual([
        expect.objectContaining({
          delta: 120,
          kind: 'earn',
          reasonCode: 'invoice_paid',
          reasonParams: expect.objectContaining({ invoice: event.invoice && (event.invoice as { id: string }).id, amount: '120.00', currency: 'USD' }),
          rule: 'base_rate',
          balanceAfter: 120,
        }),
      ]);
    });

    it('adds up across invoices, one lot per earn', async () => {
      await app.send(invoicePaid({ client: { id: 'c-sum' }, invoice: { total: '10.99', items: [{ type: 'new', amount: '10.99' }] } })).expect(200);
      await app.send(invoicePaid({ client: { id: 'c-sum' }, invoice: { total: '5.50', items: [{ type: 'new', amount: '5.50' }] } })).expect(200);
      const m = await app.plugin.db.repos.members.findByPanelClientId('c-sum');
      expect(m?.pointsAvailable).toBe(15);
      const lots = await app.plugin.db.knex('loyalty_lots').where({ member_id: m!.id }).orderBy('id');
      expect(lots.map((l) => Number(l.remaining))).toEqual([10, 5]);
    });

    it('earns nothing from add_funds or credit-paid parts', async () => {
      const res = await app
        .send(
          invoicePaid({
            client: { id: 'c-credit' },
            invoice: { total: '80.00', paid_from_credit: '30.00', items: [{ type: 'add_funds', amount: '50.00' }, { type: 'renewal', amount: '30.00' }] },
          }),
        )
        .expect(200);
      expect(res.body.points).toBe(0);
    });

    it('earns nothing in a currency without a rate, and the response says so', async () => {
      const event = invoicePaid({ client: { id: 'c-vnd', currency: 'VND' }, invoice: { currency: 'VND', total: '250000', paid_from_credit: '0', items: [] } });
      const res = await app.send(event).expect(200);
      expect(res.body).toEqual({ event: event.id, outcome: 'applied', points: 0, detail: 'no_earn_rate' });
      const m = await app.plugin.db.repos.members.findByPanelClientId('c-vnd');
      expect(m?.pointsAvailable).toBe(0);
    });

    it('uses the rates in program settings', async () => {
      await app.plugin.services.program.update({ earn_rates: { USD: '1', RUB: '0.01' } });
      const event = invoicePaid({ client: { id: 'c-rub', currency: 'RUB' }, invoice: { currency: 'RUB', total: '4599.99', items: [] } });
      const res = await app.send(event).expect(200);
      expect(res.body.points).toBe(45);
      await app.plugin.services.program.update({ earn_rates: { USD: '1', EUR: '1', GBP: '1' } });
      const eur = await app.send(invoicePaid({ client: { id: 'c-eur', currency: 'EUR' }, invoice: { currency: 'EUR', total: '9.99', items: [] } }));
      expect(eur.body.points).toBe(9);
    });

    it('keeps unknown fields in the inbox', async () => {
      const event: Record<string, unknown> = { ...invoicePaid({ client: { id: 'c-extra' } }), whmcs: { gateway: 'paypal' } };
      await app.send(event).expect(200);
      const row = await app.plugin.db.knex('loyalty_events').where({ external_id: String(event.id) }).first();
      expect(JSON.parse(row.payload).whmcs).toEqual({ gateway: 'paypal' });
    });
  });

  describe('other event types', () => {
    it('client.created enrols the member with the panel data', async () => {
      const event = clientEvent('client.created', 'c-new', { client: { id: 'c-new', email: 'new@example.com', name: 'Нина', locale: 'ru', currency: 'RUB' } });
      const res = await app.send(event).expect(200);
      expect(res.body).toEqual({ event: event.id, outcome: 'applied', points: 0, detail: 'enrolled' });
      expect(await app.plugin.db.repos.members.findByPanelClientId('c-new')).toMatchObject({ name: 'Нина', locale: 'ru', pointsAvailable: 0 });
    });

    it.each([
      ['client.updated', {}],
      ['invoice.reversed', { invoice: { id: '9', currency: 'USD', total: '1.00' } }],
      ['service.created', { service: { id: '7' } }],
      ['service.renewed', { service: { id: '7', amount: '10.00' } }],
      ['service.upgraded', { service: { id: '7', amount: '10.00', previous_amount: '5.00' } }],
      ['service.suspended', { service: { id: '7' } }],
      ['service.unsuspended', { service: { id: '7' } }],
      ['service.cancelled', { service: { id: '7' } }],
      ['action.completed', { action: { kind: 'review', reference: 'trustpilot:abc' } }],
    ])('%s is validated, stored and applied by its hook (enrolling an unknown client)', async (type, extra) => {
      const clientId = `c-${type}`;
      const event = clientEvent(type, clientId, extra);
      const res = await app.send(event).expect(200);
      // Every canonical type has a hook now (issue 11); their effects are tested in service-lifecycle.test.ts.
      expect(res.body).toMatchObject({ event: event.id, outcome: 'applied', points: 0 });
      expect(res.body.detail).not.toBe('not_yet_supported');
      const row = await app.plugin.db.repos.events.find('test', String(event.id));
      expect(row).toMatchObject({ type, outcome: 'applied' });
      expect(await app.plugin.db.repos.members.findByPanelClientId(clientId)).not.toBeNull();
    });
  });

  describe('exactly once', () => {
    it('redelivery of the same id answers duplicate with the first outcome and writes nothing', async () => {
      const event = invoicePaid({ client: { id: 'c-dup' } });
      await app.send(event).expect(200);
      const before = await tableCounts(app.plugin);
      const again = await app.send(event).expect(200);
      expect(again.body).toEqual({ event: event.id, outcome: 'duplicate', first_outcome: 'applied', points: 120 });
      expect(await tableCounts(app.plugin)).toEqual(before);
    });

    it('a re-serialised body (other key order, whitespace) is the same event', async () => {
      const event = invoicePaid({ client: { id: 'c-reorder' } });
      await app.send(event).expect(200);
      const reordered = JSON.stringify(Object.fromEntries(Object.entries(event).reverse()), null, 2);
      const res = await app.send(event, { body: reordered }).expect(200);
      expect(res.body.outcome).toBe('duplicate');
    });

    it('the same id with a different body is a 409, and nothing changes', async () => {
      const event = invoicePaid({ client: { id: 'c-conflict' } });
      await app.send(event).expect(200);
      const before = await tableCounts(app.plugin);
      const changed = { ...event, invoice: { ...(event.invoice as object), total: '999.00' } };
      const res = await app.send(changed).expect(409);
      expect(res.body).toMatchObject({ error: 'event_id_conflict', fields: [{ path: 'id', message: expect.any(String) }] });
      expect(await tableCounts(app.plugin)).toEqual(before);
      expect((await app.plugin.db.repos.members.findByPanelClientId('c-conflict'))?.pointsAvailable).toBe(120);
    });

    it('ids differing only in case are different events', async () => {
      const a = invoicePaid({ id: 'test:case:ABC', client: { id: 'c-case' } });
      const b = invoicePaid({ id: 'test:case:abc', client: { id: 'c-case' } });
      await app.send(a).expect(200);
      expect((await app.send(b).expect(200)).body.outcome).toBe('applied');
    });
  });

  describe('bad input is refused with nothing written', () => {
    let before: Record<string, number>;
    beforeEach(async () => {
      before = await tableCounts(app.plugin);
    });
    afterEach(async () => {
      expect(await tableCounts(app.plugin)).toEqual(before);
    });

    const post = (body: string, headers: Record<string, string>) => app.http.post('/hooks/events').set(headers).send(body);

    it('401 without a signature', async () => {
      const event = invoicePaid();
      const res = await post(JSON.stringify(event), { 'content-type': 'application/json', 'webhook-id': String(event.id) }).expect(401);
      expect(res.body).toMatchObject({ error: 'invalid_signature', help: expect.stringContaining('WEBHOOK_SECRET') });
    });

    it('401 with a signature from another secret', async () => {
      const event = invoicePaid();
      const body = JSON.stringify(event);
      const other = new StandardWebhookSigner(`whsec_${Buffer.from('another-secret-entirely-0000').toString('base64')}`);
      await post(body, { ...other.headers(String(event.id), body) }).expect(401);
    });

    it('401 when the body was changed after signing', async () => {
      const event = invoicePaid();
      const headers = app.sign(String(event.id), JSON.stringify(event));
      await post(JSON.stringify({ ...event, invoice: { ...(event.invoice as object), total: '9999.00' } }), headers).expect(401);
    });

    it('401 for a stale timestamp (older than 5 minutes), even if correctly signed', async () => {
      const event = invoicePaid();
      const body = JSON.stringify(event);
      const res = await post(body, app.sign(String(event.id), body, new Date(Date.now() - 6 * 60_000))).expect(401);
      expect(res.body.message).toContain('too old');
    });

    it('401 for a timestamp more than 5 minutes ahead', async () => {
      const event = invoicePaid();
      const body = JSON.stringify(event);
      await post(body, app.sign(String(event.id), body, new Date(Date.now() + 6 * 60_000))).expect(401);
    });

    it('400 for malformed JSON, naming the body', async () => {
      const body = '{"id": "x", ';
      const res = await post(body, app.sign('x', body)).expect(400);
      expect(res.body).toMatchObject({ error: 'malformed_json', fields: [{ path: 'body', message: expect.stringContaining('not valid JSON') }] });
    });

    it('400 for JSON that is not an object', async () => {
      const body = '[1,2]';
      const res = await post(body, app.sign('x', body)).expect(400);
      expect(res.body.fields).toEqual([{ path: 'body', message: 'must be a JSON object' }]);
    });

    it.each<[string, (e: Record<string, unknown>) => Record<string, unknown>, string, string]>([
      ['a negative amount', (e) => ({ ...e, invoice: { ...(e.invoice as object), total: '-120.00' } }), 'invoice.total', 'negative'],
      ['a non-numeric amount', (e) => ({ ...e, invoice: { ...(e.invoice as object), total: 'twelve' } }), 'invoice.total', 'decimal string'],
      ['too many decimals', (e) => ({ ...e, invoice: { ...(e.invoice as object), total: '120.001' } }), 'invoice.total', 'more than 2 decimals'],
      ['an amount over the limit', (e) => ({ ...e, invoice: { ...(e.invoice as object), total: '1000000001.00' } }), 'invoice.total', 'exceeds the limit'],
      ['an unknown currency', (e) => ({ ...e, invoice: { ...(e.invoice as object), currency: 'ABC' } }), 'invoice.currency', 'ISO 4217'],
      ['a wrong shape', (e) => ({ ...e, client: 'ann' }), 'client', ''],
      ['an unknown type', (e) => ({ ...e, type: 'invoice.lost' }), 'type', 'must be one of'],
      ['a missing occurred_at', ({ occurred_at, ...e }) => e, 'occurred_at', 'is required'],
    ])('422 for %s, naming %s', async (_name, mutate, path, message) => {
      const event = mutate(invoicePaid());
      const res = await app.send(event).expect(422);
      expect(res.body).toMatchObject({ error: 'validation_failed' });
      expect(res.body.fields).toEqual(expect.arrayContaining([{ path, message: expect.stringContaining(message) }]));
    });

    it('422 for an id over 128 characters', async () => {
      const event = invoicePaid({ id: `test:${'x'.repeat(124)}` });
      expect(String(event.id).length).toBe(129);
      const res = await app.send(event).expect(422);
      expect(res.body.fields).toEqual([{ path: 'id', message: expect.stringContaining('1–128') }]);
    });

    it('422 when the body id differs from the webhook-id header', async () => {
      const event = invoicePaid();
      const body = JSON.stringify(event);
      const res = await post(body, app.sign('test:other-id', body)).expect(422);
      expect(res.body.fields).toEqual([{ path: 'id', message: 'must equal the webhook-id header' }]);
    });

    it('413 for a body over 256 KB, before anything is parsed', async () => {
      const event = { ...invoicePaid(), padding: 'x'.repeat(256 * 1024) };
      const res = await app.send(event).expect(413);
      expect(res.body).toMatchObject({ error: 'payload_too_large', fields: [{ path: 'body', message: expect.stringContaining('262144') }] });
    });

    it('413 at once for a declared length over 256 KB, without waiting for the body', async () => {
      const event = invoicePaid();
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(`${app.baseUrl}/hooks/events`, {
          method: 'POST',
          headers: { ...app.sign(String(event.id), '{}'), 'content-type': 'application/json', 'content-length': String(20 * 1024 * 1024) },
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        // The connection is closed once answered: the rest of the body is never sent.
        req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
        req.write('x'.repeat(1024));
        setTimeout(() => reject(new Error('no answer before the body was sent')), 3_000).unref();
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'payload_too_large' });
    });

    it('400 for a compressed body that does not decompress', async () => {
      const event = invoicePaid();
      const body = 'not gzip at all';
      const res = await post(body, { ...app.sign(String(event.id), body), 'content-type': 'application/json', 'content-encoding': 'gzip' }).expect(400);
      expect(res.body).toMatchObject({ error: 'malformed_body', fields: [{ path: 'body', message: 'could not be parsed' }] });
    });

    it('accepts a body just under 256 KB', async () => {
      const event = { ...invoicePaid({ client: { id: 'c-big' } }), padding: 'x'.repeat(250 * 1024) };
      await app.send(event).expect(200);
      before = await tableCounts(app.plugin); // this one is supposed to write
    });
  });
});
