import fc from 'fast-check';
import { invoicePaid, invoiceRefunded, startTestApp, tableCounts, type TestApp } from '../support/harness';

/** Issue 7: whatever a broken panel or an attacker sends, never a 500 and nothing written unless 2xx. */
describe('webhook fuzz', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  /** Random JSON, sometimes shaped like an event with parts replaced, sometimes garbled text. */
  const jsonValue = fc.jsonValue({ maxDepth: 6 });
  const eventLike = fc
    .record({
      base: fc.constantFrom('paid', 'refunded'),
      client: fc.string({ maxLength: 12 }),
      replace: fc.option(fc.record({ key: fc.constantFrom('type', 'occurred_at', 'client', 'invoice', 'id', 'extra'), value: jsonValue })),
      deep: fc.option(fc.integer({ min: 1, max: 5000 })),
    })
    .map(({ base, client, replace, deep }) => {
      const e: Record<string, unknown> = base === 'paid' ? invoicePaid({ client: { id: `fz-${client}` } }) : invoiceRefunded('fz-inv', '10.00', { client: { id: `fz-${client}` } });
      if (replace) e[replace.key] = replace.value;
      let body = JSON.stringify(e);
      if (deep) body = body.replace(/}$/, `,"deep":${'['.repeat(deep)}${']'.repeat(deep)}}`);
      return { id: typeof e.id === 'string' ? e.id : 'fz-id', body };
    });
  const garbled = fc.record({ id: fc.string({ minLength: 1, maxLength: 20 }), body: fc.oneof(fc.string({ maxLength: 300 }), jsonValue.map((v) => JSON.stringify(v))) });
  const delivery = fc.record({
    payload: fc.oneof(eventLike, garbled),
    signature: fc.constantFrom('valid', 'valid', 'wrong', 'garbage', 'missing', 'stale'),
    headerId: fc.constantFrom('same', 'other', 'missing'),
    contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
  });

  it('never answers 500, and writes nothing for any non-2xx', async () => {
    await fc.assert(
      fc.asyncProperty(delivery, async ({ payload, signature, headerId, contentType }) => {
        const id = headerId === 'other' ? `${payload.id}-x` : payload.id;
        const safeId = /^[\x21-\x7e]{1,200}$/.test(id) ? id : 'fz-unsafe';
        const at = signature === 'stale' ? new Date(Date.now() - 3600_000) : new Date();
        const headers: Record<string, string> = { ...app.sign(safeId, payload.body, at), 'content-type': contentType };
        if (signature === 'wrong') headers['webhook-signature'] = app.sign(safeId, `${payload.body} `, at)['webhook-signature'] ?? '';
        if (signature === 'garbage') headers['webhook-signature'] = 'v1,@@@';
        if (signature === 'missing') delete headers['webhook-signature'];
        if (headerId === 'missing') delete headers['webhook-id'];
        const before = await tableCounts(app.plugin);
        const res = await app.http.post('/hooks/events').set(headers).send(payload.body);
        expect(res.status).not.toBe(500);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 300) expect(await tableCounts(app.plugin)).toEqual(before);
        expect(await app.plugin.db.repos.members.findBalanceMismatches()).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
