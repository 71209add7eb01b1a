import { EVENT_TYPES, parseCanonicalEvent } from '../../plugin/events/canonical-event';

const valid = () => ({
  id: 'whmcs:invoice:1001:paid',
  type: 'invoice.paid',
  occurred_at: '2026-11-22T10:15:00Z',
  client: { id: '42', email: 'ann@example.com', name: 'Ann Lee', locale: 'en', currency: 'USD', birthday: '1990-02-28' },
  invoice: {
    id: '1001',
    currency: 'USD',
    total: '120.00',
    paid_from_credit: '0.00',
    items: [
      { id: '5001', type: 'renewal', service_id: '77', product_id: '3', product_group: 'shared-hosting', billing_cycle: 'annually', amount: '100.00' },
      { id: '5002', type: 'domain', amount: '20.00' },
    ],
  },
});

function problems(json: unknown) {
  const r = parseCanonicalEvent(json);
  return r.ok ? [] : r.fields;
}

describe('parseCanonicalEvent', () => {
  it('accepts the DESIGN §6 example and turns money into minor units', () => {
    const r = parseCanonicalEvent(valid());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.invoice?.total).toEqual({ currency: 'USD', minor: 12000 });
    expect(r.event.invoice?.items?.[1]?.amount).toEqual({ currency: 'USD', minor: 2000 });
    expect(r.event.occurredAt.toISOString()).toBe('2026-11-22T10:15:00.000Z');
  });

  it('accepts numeric panel ids (PHP json_encode) as strings', () => {
    const r = parseCanonicalEvent({ ...valid(), client: { id: 42 } });
    expect(r.ok && r.event.client.id).toBe('42');
  });

  it('ignores unknown fields', () => {
    expect(parseCanonicalEvent({ ...valid(), whmcs_extra: { a: 1 } }).ok).toBe(true);
  });

  it.each(EVENT_TYPES)('knows %s', (type) => {
    const base = { ...valid(), type, invoice: { ...valid().invoice, refunded: '10.00' } };
    const withBlocks = { ...base, service: { id: '77' }, action: { kind: 'review', reference: 'trustpilot:abc' } };
    expect(problems(withBlocks)).toEqual([]);
  });

  it.each<[string, (e: ReturnType<typeof valid>) => unknown, string, string]>([
    ['a missing id', ({ id, ...rest }) => rest, 'id', 'is required'],
    ['an id over 128 characters', (e) => ({ ...e, id: 'x'.repeat(129) }), 'id', '1–128'],
    ['an id with a space', (e) => ({ ...e, id: 'a b' }), 'id', '1–128'],
    ['an unknown type', (e) => ({ ...e, type: 'invoice.exploded' }), 'type', 'must be one of'],
    ['a bad occurred_at', (e) => ({ ...e, occurred_at: 'yesterday' }), 'occurred_at', 'RFC 3339'],
    ['a missing client', ({ client, ...rest }) => rest, 'client', 'is required'],
    ['a missing client id', (e) => ({ ...e, client: { email: 'a@b.co' } }), 'client.id', 'is required'],
    ['a bad email', (e) => ({ ...e, client: { id: '1', email: 'nope' } }), 'client.email', 'email'],
    ['a bad locale', (e) => ({ ...e, client: { id: '1', locale: 'not a locale!' } }), 'client.locale', 'BCP 47'],
    ['a bad birthday', (e) => ({ ...e, client: { id: '1', birthday: '1990-02-30' } }), 'client.birthday', 'YYYY-MM-DD'],
    ['invoice.paid without an invoice', ({ invoice, ...rest }) => rest, 'invoice', 'is required for invoice.paid'],
    ['an unknown currency', (e) => ({ ...e, invoice: { ...e.invoice, currency: 'ZZZ' } }), 'invoice.currency', 'ISO 4217'],
    ['a negative total', (e) => ({ ...e, invoice: { ...e.invoice, total: '-1.00' } }), 'invoice.total', 'negative'],
    ['a numeric total', (e) => ({ ...e, invoice: { ...e.invoice, total: 120 } }), 'invoice.total', 'decimal string'],
    ['a non-numeric total', (e) => ({ ...e, invoice: { ...e.invoice, total: '12O.00' } }), 'invoice.total', 'decimal string'],
    ['too many decimals', (e) => ({ ...e, invoice: { ...e.invoice, total: '1.001' } }), 'invoice.total', 'more than 2 decimals'],
    ['an amount over the limit', (e) => ({ ...e, invoice: { ...e.invoice, total: '1000000000.01' } }), 'invoice.total', 'exceeds the limit'],
    [
      'a bad item amount',
      (e) => ({ ...e, invoice: { ...e.invoice, items: [{ type: 'new', amount: '1.5.0' }] } }),
      'invoice.items.0.amount',
      'decimal string',
    ],
    ['a bad item type', (e) => ({ ...e, invoice: { ...e.invoice, items: [{ type: 'gift', amount: '1.00' }] } }), 'invoice.items.0.type', 'must be one of'],
    [
      'a bad billing cycle',
      (e) => ({ ...e, invoice: { ...e.invoice, items: [{ type: 'new', amount: '1.00', billing_cycle: 'fortnightly' }] } }),
      'invoice.items.0.billing_cycle',
      'monthly',
    ],
    ['credit beyond the total', (e) => ({ ...e, invoice: { ...e.invoice, paid_from_credit: '120.01' } }), 'invoice.paid_from_credit', 'must not exceed'],
    ['a refund without its amount', (e) => ({ ...e, type: 'invoice.refunded' }), 'invoice.refunded', 'is required for invoice.refunded'],
    ['a service event without a service', (e) => ({ ...e, type: 'service.renewed' }), 'service', 'is required for service.renewed'],
    [
      'a service amount with no currency anywhere',
      (e) => ({ ...e, type: 'service.upgraded', client: { id: '1' }, service: { id: '7', amount: '5.00' } }),
      'service.amount',
      'needs a currency',
    ],
    ['an action without its block', (e) => ({ ...e, type: 'action.completed' }), 'action', 'is required for action.completed'],
  ])('refuses %s, naming the field', (_name, mutate, path, message) => {
    const found = problems(mutate(valid()));
    expect(found).toEqual(expect.arrayContaining([{ path, message: expect.stringContaining(message) }]));
  });

  it('lists every bad field at once', () => {
    const e = valid();
    const found = problems({ ...e, invoice: { ...e.invoice, total: '-1', items: [{ type: 'new', amount: 'x' }] } });
    expect(found.map((f) => f.path).sort()).toEqual(['invoice.items.0.amount', 'invoice.total']);
  });

  it("lists amounts too precise for their currency with the other fields' problems, not after them are fixed", () => {
    const e = valid();
    const found = problems({
      ...e,
      occurred_at: '2026-13-01',
      client: { ...e.client, email: 'nope' },
      invoice: { ...e.invoice, total: '120.001', tax: '0.5', items: [{ type: 'new', amount: '120.001' }] },
      service: { id: '77', amount: '10.005' },
    });
    expect(found.map((f) => f.path).sort()).toEqual(['client.email', 'invoice.items.0.amount', 'invoice.total', 'occurred_at', 'service.amount']);
    expect(found.find((f) => f.path === 'invoice.total')?.message).toBe('has more than 2 decimals for USD');
  });

  it("tells an invoice of too many lines once, not each line's amount too; blames no amount on a currency the service doesn't have", () => {
    const e = valid();
    const lines = Array.from({ length: 2000 }, () => ({ type: 'new', amount: '1.001' }));
    expect(problems({ ...e, invoice: { ...e.invoice, items: lines } })).toHaveLength(1 + 500);
    const jpy = { ...e, client: { ...e.client, currency: 'JPY' }, service: { id: '77', currency: null, amount: '10.50' } };
    expect(problems(jpy).map((f) => f.path)).toEqual(['service.currency']);
  });

  it('tells an amount over the total, and a service amount without a currency, beside the schema problems', () => {
    const e = valid();
    const found = problems({
      ...e,
      client: { id: '42', email: 'nope' },
      invoice: { ...e.invoice, paid_from_credit: '500.00', refunded: '130.00' },
      service: { id: '77', amount: '10.00' },
    });
    expect(found).toEqual([
      { path: 'client.email', message: expect.any(String) },
      { path: 'invoice.paid_from_credit', message: 'must not exceed invoice.total' },
      { path: 'invoice.refunded', message: 'must not exceed invoice.total' },
      { path: 'service.amount', message: 'needs a currency: set service.currency or client.currency' },
    ]);
  });

  it("compares no part with a total that didn't parse, whether the schema passed or not", () => {
    const e = valid();
    const over = { ...e.invoice, total: '120.001', paid_from_credit: '500.00', refunded: '130.00' };
    const told = [{ path: 'invoice.total', message: 'has more than 2 decimals for USD' }];
    expect(problems({ ...e, invoice: over })).toEqual(told);
    expect(problems({ ...e, client: { ...e.client, email: 'nope' }, invoice: over })).toEqual([{ path: 'client.email', message: expect.any(String) }, ...told]);
  });
});
