import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

/** A tier change is told to the member once, in their language, through the member-email channel. */
describe('tier change emails', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ program: { refund_window_days: 0, email_channel: 'panel' } });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const emails = async (clientId: string) =>
    (await app.plugin.db.knex('loyalty_outbox').where({ action: 'client.email' }).orderBy('id'))
      .map((r) => JSON.parse(String(r.payload)) as { clientId: string; purpose: string; subject: string; text: string })
      .filter((p) => p.clientId === clientId && p.purpose === 'tier-changed');

  it('an upgrade queues one email with the new tier and its perks; a replay queues nothing more', async () => {
    const paid = invoicePaid({ client: { id: 'te-1', email: 'te1@example.com', locale: 'en' }, invoice: { id: 'TE-1', total: '600.00', items: [{ type: 'renewal', amount: '600.00' }] } });
    await app.send(paid).expect(200);
    await app.send(paid).expect(200);
    const sent = await emails('te-1');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ subject: 'You reached Silver' });
    expect(sent[0]?.text).toContain('10% more points');
  });

  it('in the member’s language', async () => {
    await app.send(invoicePaid({ client: { id: 'te-ru', email: 'ru@example.com', locale: 'ru' }, invoice: { id: 'TE-RU', total: '600.00', items: [{ type: 'renewal', amount: '600.00' }] } })).expect(200);
    expect((await emails('te-ru'))[0]?.subject).toMatch(/^Вы достигли уровня «.+»$/);
  });

  it('nothing when member emails are off', async () => {
    await app.plugin.services.program.update({ email_channel: 'none' });
    try {
      await app.send(invoicePaid({ client: { id: 'te-off', email: 'off@example.com' }, invoice: { id: 'TE-OFF', total: '600.00', items: [{ type: 'renewal', amount: '600.00' }] } })).expect(200);
      expect(await emails('te-off')).toEqual([]);
    } finally {
      await app.plugin.services.program.update({ email_channel: 'panel' });
    }
  });
});
