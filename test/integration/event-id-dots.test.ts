import { expectBalancesConsistent, invoicePaid, invoiceRefunded, startTestApp, tableCounts, type TestApp } from '../support/harness';

/**
 * Event ids may contain `.` (README "Any other panel" says why): they are accepted, and the
 * id/timestamp shift the spec's advice guards against can't make a signature verify for an
 * event we would accept.
 */
describe('event ids with dots', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ realTime: true });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('are accepted, and their ids kept exactly', async () => {
    await app.send(invoicePaid({ id: 'panel:invoice:7:paid', client: { id: 'dot-1' }, invoice: { id: '7', total: '100.00' } })).expect(200);
    const refund = invoiceRefunded('7', '30.00', { id: 'panel:invoice:7:refund:30.00', client: { id: 'dot-1' }, invoice: { total: '100.00' } });
    const res = await app.send(refund).expect(200);
    expect(res.body).toMatchObject({ event: 'panel:invoice:7:refund:30.00', outcome: 'applied' });
    expect((await app.send(refund).expect(200)).body.outcome).toBe('duplicate');
  });

  it('a signature moved from id "x.<t2>" to id "x" with timestamp t2 is refused, and nothing is written', async () => {
    const t1 = Math.floor(Date.now() / 1000) - 1;
    const t2 = t1 + 1;
    const event = invoicePaid({ id: `shift.${t2}`, client: { id: 'dot-2' }, invoice: { id: '8', total: '50.00' } });
    const body = JSON.stringify(event);
    const signed = app.sign(String(event.id), body, new Date(t1 * 1000));
    const before = await tableCounts(app.plugin);
    // Same signed bytes "shift.<t2>.<t1>.<body>", split differently: id "shift", timestamp t2, body "<t1>.<body>".
    const moved = await app.http
      .post('/hooks/events')
      .set({ ...signed, 'webhook-id': 'shift', 'webhook-timestamp': String(t2) })
      .send(`${t1}.${body}`);
    expect(moved.status).toBe(400);
    expect(moved.body).toMatchObject({ error: 'malformed_json', fields: [expect.objectContaining({ path: 'body' })] });
    expect(await tableCounts(app.plugin)).toEqual(before);
    // The genuine delivery still works.
    await app.http.post('/hooks/events').set(signed).send(body).expect(200);
  });
});
