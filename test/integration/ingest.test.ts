import { expectBalancesConsistent, invoicePaid, startTestApp, tableCounts, type TestApp } from '../support/harness';

/** `plugin.ingest`: the webhook's checks and exactly-once inbox for an in-process host, without HTTP. */
describe('plugin.ingest', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('applies an event once, from an object or its JSON text, concurrently too', async () => {
    const event = invoicePaid({ id: 'host:invoice:1:paid', client: { id: 'ing-1' }, invoice: { id: 'H1' } });
    const answers = await Promise.all([app.plugin.ingest(event), app.plugin.ingest(JSON.stringify(event)), app.plugin.ingest(event)]);
    expect(answers.map((a) => a.outcome).sort()).toEqual(['applied', 'duplicate', 'duplicate']);
    expect(answers.every((a) => a.event === 'host:invoice:1:paid' && a.points === answers[0]?.points)).toBe(true);
  });

  it('shares the inbox with the webhook for the same source, and keeps sources apart', async () => {
    const event = invoicePaid({ id: 'host:invoice:2:paid', client: { id: 'ing-2' }, invoice: { id: 'H2' } });
    expect((await app.send(event).expect(200)).body.outcome).toBe('applied');
    // The harness's webhook source is `test`: the same id from the same source is the same event.
    expect((await app.plugin.ingest(event, { source: 'test' })).outcome).toBe('duplicate');
    expect((await app.plugin.ingest(event)).outcome).toBe('duplicate');
    // Another source is another panel: its own ids.
    const other = invoicePaid({ id: 'host:invoice:2:paid', client: { id: 'ing-3' }, invoice: { id: 'H2-b' } });
    expect((await app.plugin.ingest(other, { source: 'shop' })).outcome).toBe('applied');
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    const before = await tableCounts(app.plugin);
    const bad = { ...invoicePaid({ id: 'host:bad:1' }), occurred_at: 'yesterday', invoice: { id: 'B', currency: 'XXQ', total: '1.00' } };
    const err = await app.plugin.ingest(bad).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 422, code: 'validation_failed' });
    expect((err as { fields: Array<{ path: string }> }).fields.map((f) => f.path)).toEqual(expect.arrayContaining(['occurred_at', 'invoice.currency']));
    await expect(app.plugin.ingest('not json')).rejects.toMatchObject({ status: 400, code: 'malformed_json' });
    await expect(app.plugin.ingest([1, 2])).rejects.toMatchObject({ status: 400, fields: [{ path: 'body', message: 'must be a JSON object' }] });
    await expect(app.plugin.ingest(undefined)).rejects.toMatchObject({ status: 400 });
    await expect(app.plugin.ingest(invoicePaid({ id: 'host:ok:1' }), { source: 'Not A Source!' })).rejects.toMatchObject({ status: 422, fields: [{ path: 'source' }] });
    const cyclic: Record<string, unknown> = { ...invoicePaid({ id: 'host:cyclic' }) };
    cyclic.self = cyclic;
    await expect(app.plugin.ingest(cyclic)).rejects.toMatchObject({ status: 422, fields: [{ path: 'body' }] });
    expect(await tableCounts(app.plugin)).toEqual(before);
  });

  it('answers 409 for the same id with a different body', async () => {
    const event = invoicePaid({ id: 'host:invoice:3:paid', client: { id: 'ing-4' }, invoice: { id: 'H3' } });
    await app.plugin.ingest(event);
    await expect(app.plugin.ingest({ ...event, occurred_at: '2026-11-20T00:00:00Z' })).rejects.toMatchObject({ status: 409, code: 'event_id_conflict' });
  });
});
