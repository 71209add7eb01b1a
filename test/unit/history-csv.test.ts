import { parseCanonicalEvent } from '../../plugin/events/canonical-event';
import { checkHistoryCsvHeader, csvColumnOf, historyCsvEvent } from '../../plugin/events/history-csv';

/** The backfill's CSV (one row per invoice line) as canonical `invoice.paid` events. */
describe('history CSV (plugin/events/history-csv.ts)', () => {
  const row = (extra: Record<string, string> = {}) => ({ client_id: '42', invoice_id: '1001', paid_at: '2025-03-04', currency: 'USD', item_type: 'renewal', amount: '100.00', ...extra });

  it("makes one invoice of its rows: total implied from the lines and tax, a day read as UTC midnight, the default event id", () => {
    const made = historyCsvEvent([row({ client_email: 'ann@example.com', tax: '5.00' }), row({ item_type: 'domain', amount: '20.00' })]);
    expect(made).toEqual({
      json: {
        id: 'history:invoice:1001:paid',
        type: 'invoice.paid',
        occurred_at: '2025-03-04T00:00:00Z',
        client: { id: '42', email: 'ann@example.com' },
        invoice: { id: '1001', currency: 'USD', total: '125.00', tax: '5.00', items: [{ type: 'renewal', amount: '100.00' }, { type: 'domain', amount: '20.00' }] },
      },
      problemOf: expect.any(Function),
    });
    expect(parseCanonicalEvent((made as { json: unknown }).json, new Date('2026-01-01T00:00:00Z')).ok).toBe(true);
  });

  it('keeps a given event id and total; spells characters an event id cannot hold', () => {
    expect(historyCsvEvent([row({ event_id: 'whmcs:invoice:1001:paid', invoice_total: '130.00', paid_at: '2025-03-04 10:15' })])).toMatchObject({
      json: { id: 'whmcs:invoice:1001:paid', occurred_at: '2025-03-04T10:15:00Z', invoice: { total: '130.00' } },
    });
    expect(historyCsvEvent([row({ invoice_id: 'a@b' })])).toMatchObject({ json: { id: 'history:invoice:a~40b:paid' } });
  });

  it('names what is missing or inconsistent, per row', () => {
    expect(historyCsvEvent([row({ paid_at: '' })])).toEqual({ id: 'history:invoice:1001:paid', problems: [{ path: 'paid_at', message: 'is required' }] });
    expect(historyCsvEvent([row(), row({ currency: 'EUR' })])).toMatchObject({ problems: [{ path: 'row 2: currency', message: expect.stringContaining('differs') }] });
  });

  it('a bad amount is reported on its line, not as a total made of it', () => {
    const made = historyCsvEvent([row({ amount: 'abc' })]) as { json: unknown };
    const parsed = parseCanonicalEvent(made.json, new Date('2026-01-01T00:00:00Z'));
    expect(parsed.ok ? [] : parsed.fields.map((f) => f.path)).toEqual(['invoice.items.0.amount']);
  });

  it("names an event's problems by the CSV column they came from, an item's by its row when there are several", () => {
    const columns = (rows: Array<Record<string, string>>) => {
      const made = historyCsvEvent(rows);
      if (!('json' in made)) throw new Error('expected an event');
      const parsed = parseCanonicalEvent(made.json, new Date('2026-01-01T00:00:00Z'));
      return parsed.ok ? [] : parsed.fields.map((f) => made.problemOf(f).path);
    };
    expect(columns([row({ paid_at: '2025-13-05', client_email: 'nope' })])).toEqual(['paid_at', 'client_email']);
    expect(columns([row(), row({ item_type: 'teleport' })])).toEqual(['row 2: item_type']);
    expect(columns([row(), row({ amount: '1.234' })])).toEqual(['row 2: amount']);
    expect(csvColumnOf('invoice.items.0.type', 1)).toBe('item_type');
    expect(csvColumnOf('invoice.items.0.unknown_field', 1)).toBe('invoice.items.0.unknown_field');
    expect(csvColumnOf('type', 1)).toBe('type');
  });

  it('tells a bad paid_at in the date forms the CSV takes', () => {
    const made = historyCsvEvent([row({ paid_at: '2025-13-05' })]) as { json: unknown; problemOf: (p: { path: string; message: string }) => { path: string; message: string } };
    const parsed = parseCanonicalEvent(made.json, new Date('2026-01-01T00:00:00Z'));
    const problems = parsed.ok ? [] : parsed.fields.map(made.problemOf);
    expect(problems).toEqual([{ path: 'paid_at', message: expect.stringContaining('2025-03-04 10:15:00') }]);
    const old = historyCsvEvent([row({ paid_at: '1999-12-31' })]) as typeof made;
    const tooOld = parseCanonicalEvent(old.json, new Date('2026-01-01T00:00:00Z'));
    expect(tooOld.ok ? [] : tooOld.fields.map(old.problemOf)).toEqual([{ path: 'paid_at', message: 'must be between 2000-01-01 and one day from now' }]);
  });

  it('checks the header: required columns present, no unknown ones', () => {
    expect(checkHistoryCsvHeader(['client_id', 'invoice_id', 'paid_at', 'currency', 'item_type', 'amount', 'tax'])).toEqual([]);
    expect(checkHistoryCsvHeader(['client', 'invoice_id', 'paid_at', 'currency', 'item_type', 'amount']).map((p) => p.path)).toEqual(['client_id', 'client']);
  });
});
