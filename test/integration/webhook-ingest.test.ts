import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, type TestApp } from '../support/harness';

describe('POST /hooks/events: invoice.paid', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  afterEach(() => expectBalancesConsistent(app.plugin));

  it('awards floor(basis × rate) points, enrols the client and answers applied', async () => {
    const event = invoicePaid({ client: { id: 'c-award' } });
    const res = await app.send(event).expect(200);
    expect(res.body).toEqual({ event: event.id, outcome: 'applied', points: 120 });
    const member = await app.plugin.db.repos.members.findByPanelClientId('c-award');
    expect(member).toMatchObject({ pointsAvailable: 120, pointsLifetime: 120, email: 'ann@example.com', locale: 'en' });
  });

  it('redelivery of the same id answers duplicate with the first outcome and writes nothing', async () => {
    const event = invoicePaid({ client: { id: 'c-dup' } });
    await app.send(event).expect(200);
    const before = await tableCounts(app.plugin);
    const again = await app.send(event).expect(200);
    expect(again.body).toEqual({ event: event.id, outcome: 'duplicate', first_outcome: 'applied', points: 120 });
    expect(await tableCounts(app.plugin)).toEqual(before);
  });
});
