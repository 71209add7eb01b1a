import type { Invoice } from '../../plugin/domain/billing-event';
import { closestInTime, upgradedServices } from '../../plugin/domain/service-upgrade';

describe('upgradedServices', () => {
  const usd = (minor: number) => ({ currency: 'USD', minor });
  const invoice = (items: Invoice['items']): Invoice => ({ id: 'I1', currency: 'USD', total: usd(100), paidFromCredit: usd(0), items });

  it('names each service an upgrade line names, once; other lines and lines without a service name none', () => {
    expect(
      upgradedServices(
        invoice([
          { type: 'upgrade', serviceId: 'S1', amount: usd(50) },
          { type: 'upgrade', serviceId: 'S1', amount: usd(10) },
          { type: 'upgrade', amount: usd(10) },
          { type: 'renewal', serviceId: 'S2', amount: usd(20) },
          { type: 'upgrade', serviceId: 'S3', amount: usd(10) },
        ]),
      ),
    ).toEqual(['S1', 'S3']);
    expect(upgradedServices(invoice(undefined))).toEqual([]);
  });
});

describe('closestInTime', () => {
  const at = (iso: string | null) => (iso === null ? null : new Date(iso));
  const rows = [
    { id: 1, t: at('2026-11-10T09:00:00Z') },
    { id: 2, t: at('2026-11-20T09:00:00Z') },
    { id: 3, t: at('2026-11-20T09:00:00Z') },
    { id: 4, t: null },
  ];
  const when = (r: (typeof rows)[number]) => r.t;

  it.each([
    ['2026-11-11T00:00:00Z', 1],
    ['2026-11-19T00:00:00Z', 2],
    // Equally close: the older row.
    ['2026-11-15T09:00:00Z', 1],
    ['2026-12-01T00:00:00Z', 2],
  ])('at %s → row %i', (iso, id) => {
    expect(closestInTime(rows, when, new Date(iso))?.id).toBe(id);
  });

  it('takes a row without a time when there is no other, and nothing from nothing', () => {
    expect(closestInTime([rows[3] as (typeof rows)[number]], when, new Date())?.id).toBe(4);
    expect(closestInTime([], when, new Date())).toBeNull();
  });
});
