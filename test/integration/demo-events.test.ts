import { addMonthsUtc } from '../../plugin/domain/expiry';
import { DEMO_EVENT_TYPES, DEMO_SERVICE_ID, amountForCurrency, halfOf } from '../../plugin/panels/demo/demo-clients';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';

function cookies(res: { headers: Record<string, unknown> }): string {
  return ((res.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]).join('; ');
}

/** The demo panel fires every handled event, and the defects found by a new user stay fixed. */
describe('demo panel events', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ panel: 'demo', realTime: true });
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  async function page() {
    const home = await app.http.get('/').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(home.text)?.[1] ?? '';
    return { cookie: cookies(home), csrf };
  }
  async function fire(fields: Record<string, string>, status = 200) {
    const { cookie, csrf } = await page();
    return app.http.post('/demo/events').set('Cookie', cookie).type('form').send({ _csrf: csrf, ...fields }).expect(status);
  }
  const answer = (html: string) => {
    const body = /data-testid="result-body">([^<]*)</.exec(html)?.[1] ?? '';
    return JSON.parse(body.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/&#x3D;/g, '=')) as Record<string, unknown>;
  };
  const status = (html: string) => /data-testid="result-status">(\d+)</.exec(html)?.[1];

  it('fires every handled event type with a 200 answer', async () => {
    for (const type of DEMO_EVENT_TYPES) {
      const res = await fire({ client: 'demo-1', type, amount: '12.00', invoice: `all-${type.replace(/\./g, '-')}` });
      expect([type, status(res.text)]).toEqual([type, '200']);
      expect(answer(res.text).detail).not.toBe('not_yet_supported');
    }
  });

  it('"Client created" for a seeded client is a duplicate, never a 409', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await fire({ client: 'demo-2', type: 'client.created', amount: '' });
      expect(status(res.text)).toBe('200');
      expect(answer(res.text)).toMatchObject({ outcome: 'duplicate' });
    }
  });

  it('the same invoice sent again is a duplicate; after a reversal its payment earns again', async () => {
    const paid = await fire({ client: 'demo-1', type: 'invoice.paid', amount: '20.00', invoice: 'dup-1' });
    expect(answer(paid.text)).toMatchObject({ outcome: 'applied', points: 20 });
    const again = await fire({ client: 'demo-1', type: 'invoice.paid', amount: '20.00', invoice: 'dup-1' });
    expect(answer(again.text)).toMatchObject({ outcome: 'duplicate', points: 20 });
    // A changed amount under the same invoice is another event: a new id, answered already_paid.
    const changed = await fire({ client: 'demo-1', type: 'invoice.paid', amount: '30.00', invoice: 'dup-1' });
    expect(answer(changed.text)).toMatchObject({ outcome: 'applied', points: 0, detail: 'already_paid' });
    const reversed = await fire({ client: 'demo-1', type: 'invoice.reversed', amount: '20.00', invoice: 'dup-1' });
    expect(answer(reversed.text)).toMatchObject({ outcome: 'applied', points: -20 });
    const repaid = await fire({ client: 'demo-1', type: 'invoice.paid', amount: '20.00', invoice: 'dup-1' });
    expect(answer(repaid.text)).toMatchObject({ outcome: 'applied', points: 20 });
  });

  it('25.00 is sent as 25 for the VND client (no minor units), and accepted', async () => {
    const res = await fire({ client: 'demo-4', type: 'invoice.paid', amount: '25.00' });
    expect(status(res.text)).toBe('200');
    expect(res.text).toContain('&quot;total&quot;: &quot;25&quot;');
    // VND has no earn rate in the demo program, on purpose.
    expect(answer(res.text)).toMatchObject({ outcome: 'applied', points: 0, detail: 'no_earn_rate' });
  });

  it('keeps the form as sent: client, event, amounts and invoice', async () => {
    const res = await fire({ client: 'demo-3', type: 'service.upgraded', amount: '900.00', previous: '450.00', invoice: 'keep-1' });
    expect(res.text).toMatch(/<option value="demo-3" selected>/);
    expect(res.text).toMatch(/<option value="service.upgraded" selected>/);
    expect(res.text).toContain('name="amount" value="900.00"');
    expect(res.text).toContain('name="previous" value="450.00"');
    expect(res.text).toContain('name="invoice" value="keep-1"');
  });

  it('a bad field is shown beside the form (422), with the form still there', async () => {
    const before = await app.plugin.db.repos.events.count();
    const res = await fire({ client: 'nobody', type: 'invoice.paid', amount: '1.00', invoice: 'bad id!' }, 422);
    expect(res.text).toContain('data-testid="form-error"');
    expect(res.text).toContain('client: is not a demo client');
    expect(res.text).toContain('invoice: must be 1–32 of A-Z a-z 0-9 . _ -');
    expect(res.text).toContain('data-testid="fire-form"');
    expect(await app.plugin.db.repos.events.count()).toBe(before);
  });

  it('a stale CSRF token is shown beside the form (403), writing nothing', async () => {
    const { cookie } = await page();
    const before = await app.plugin.db.repos.events.count();
    const res = await app.http.post('/demo/events').set('Cookie', cookie).type('form').send({ _csrf: 'stale', client: 'demo-1', type: 'invoice.paid', amount: '5.00' }).expect(403);
    expect(res.text).toContain('data-testid="form-error"');
    expect(res.text).toContain('data-testid="fire-form"');
    expect(res.text).toMatch(/<option value="demo-1" selected>/);
    expect(await app.plugin.db.repos.events.count()).toBe(before);
  });

  it('renewing a service again sends its next due date, so three renewals build a streak the streak rule rewards', async () => {
    const client = 'demo-5';
    const dueDates: string[] = [];
    const answers: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 3; i++) {
      const res = await fire({ client, type: 'service.renewed', amount: '' });
      expect(status(res.text)).toBe('200');
      answers.push(answer(res.text));
      dueDates.push(/&quot;due_date&quot;: &quot;(\d{4}-\d{2}-\d{2})&quot;/.exec(res.text)?.[1] ?? '');
    }
    // The first renewal is of the period due today; each later one renews the month after.
    const today = new Date().toISOString().slice(0, 10);
    const nextMonth = (day: string) => addMonthsUtc(new Date(`${day}T00:00:00Z`), 1).toISOString().slice(0, 10);
    expect(dueDates).toEqual([today, nextMonth(today), nextMonth(nextMonth(today))]);
    expect(answers.map((a) => a.detail)).toEqual(['streak_1', 'streak_2', undefined]);
    // The seeded streak rule (3 on-time renewals in a row, 10% of the base points of 420.00 CNY at 0.15).
    expect(answers[2]).toMatchObject({ outcome: 'applied', points: 6 });
    const member = await app.plugin.db.repos.members.findByPanelClientId(client);
    const service = await app.plugin.db.repos.services.find(member!.id, DEMO_SERVICE_ID);
    expect(service).toMatchObject({ streak: 3, streakMonths: 3, lastDueDate: dueDates[2] });
    // A renewal the plugin refuses counts nothing, so the next one renews the same period.
    const refused = await fire({ client, type: 'service.renewed', amount: 'abc' });
    expect(status(refused.text)).toBe('422');
    const fourth = await fire({ client, type: 'service.renewed', amount: '' });
    expect(fourth.text).toContain(`&quot;due_date&quot;: &quot;${nextMonth(dueDates[2] ?? '')}&quot;`);
    expect(answer(fourth.text)).toMatchObject({ outcome: 'applied', detail: 'streak_4' });
  });

  it.each([
    ['25.00', 0, '25'],
    ['25', 2, '25.00'],
    ['25.5', 2, '25.50'],
    ['25.001', 3, '25.001'],
    ['25.50', 0, '25.50'],
    ['-5', 2, '-5'],
    ['abc', 2, 'abc'],
  ])('amountForCurrency(%s, %d) = %s', (typed, digits, expected) => {
    expect(amountForCurrency(typed, digits)).toBe(expected);
  });

  it('halves a price in minor units', () => {
    expect([halfOf('59.40', 2), halfOf('250000', 0), halfOf('0.01', 2), halfOf('x', 2)]).toEqual(['29.70', '125000', '0.00', undefined]);
  });
});
