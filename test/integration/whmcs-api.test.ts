import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../plugin/config';
import { PANEL_ACTIONS, shortRef } from '../../plugin/domain/panel-actions';
import { createPanelAdapter, panelAdapterCapabilities } from '../../plugin/panels/adapters';
import { PanelError } from '../../plugin/errors';
import { panelActionCall, withKey } from '../../plugin/panels/panel-api';
import { WhmcsApiClient, WhmcsApiError } from '../../plugin/panels/whmcs/whmcs-api-client';
import { parseTierGroups, WhmcsPanelApi } from '../../plugin/panels/whmcs/whmcs-panel-api';
import { FakeWhmcs } from '../support/fake-whmcs';

/**
 * The WHMCS API client and adapter against local servers: one answering recorded
 * WHMCS-shaped bodies (nested and flattened, lists in each of WHMCS's shapes, errors), and a
 * fake WHMCS that keeps state, for exactly-once credit and discount lines.
 */

/** Answers each action with a recorded body; records the form fields it was sent. */
async function recorded(answers: Record<string, { status?: number; body: string }>) {
  const seen: Array<Record<string, string>> = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const p = Object.fromEntries(new URLSearchParams(raw));
      seen.push({ ...p, 'content-type': req.headers['content-type'] ?? '', path: req.url ?? '' });
      const a = answers[p.action ?? ''] ?? { status: 200, body: '{"result":"error","message":"Command Not Found"}' };
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const client = (url: string, timeoutMs = 2000) => new WhmcsApiClient({ url, identifier: 'id-1', secret: 'sec-1', accessKey: 'ak', timeoutMs });

describe('WhmcsApiClient against recorded WHMCS answers', () => {
  it('posts form fields with identifier/secret auth and responsetype=json to includes/api.php', async () => {
    const srv = await recorded({ UpdateInvoice: { body: '{"result":"success","invoiceid":"7"}' } });
    try {
      await client(srv.base).updateInvoice('7', [{ description: 'Gold discount [ref abc]', amount: '-5.00', taxed: false }]);
      expect(srv.seen[0]).toMatchObject({
        path: '/includes/api.php',
        'content-type': 'application/x-www-form-urlencoded',
        action: 'UpdateInvoice',
        identifier: 'id-1',
        secret: 'sec-1',
        accesskey: 'ak',
        responsetype: 'json',
        invoiceid: '7',
        'newitemdescription[0]': 'Gold discount [ref abc]',
        'newitemamount[0]': '-5.00',
        'newitemtaxed[0]': '0',
      });
    } finally {
      await srv.close();
    }
  });

  it('reads a client nested under `client` and flattened at the top level alike', async () => {
    const nested = await recorded({
      GetClientsDetails: { body: '{"result":"success","userid":42,"client":{"id":42,"email":"a@example.com","currency_code":"eur","groupid":3,"firstname":"Ann","lastname":"Lee","language":"turkish","status":"Active"}}' },
    });
    const flat = await recorded({
      GetClientsDetails: { body: '{"result":"success","userid":"42","id":"42","email":"a@example.com","currency_code":"EUR","groupid":"3","fullname":"Ann Lee","language":"turkish","status":"Active"}' },
    });
    try {
      const expected = { id: '42', email: 'a@example.com', currencyCode: 'EUR', groupId: '3', name: 'Ann Lee', language: 'turkish', status: 'Active' };
      expect(await client(nested.base).getClientsDetails('42')).toEqual(expected);
      expect(await client(flat.base).getClientsDetails('42')).toEqual(expected);
    } finally {
      await nested.close();
      await flat.close();
    }
  });

  it.each([
    ['several as a list', '{"credit":[{"id":1,"date":"2026-01-01","description":"a","amount":"1.00","relid":0},{"id":2,"date":"2026-01-02","description":"b","amount":"2.00","relid":0}]}', ['1', '2']],
    ['one as an object', '{"credit":{"id":"5","date":"2026-01-01","description":"a","amount":"1.00"}}', ['5']],
    ['a plain list', '[{"id":"6","description":"x","amount":"1.00","date":""}]', ['6']],
    ['keyed by index', '{"credit":{"0":{"id":"7","description":"x","amount":"1.00"},"2":{"id":"8","description":"y","amount":"1.00"}}}', ['7', '8']],
    ['none as an empty string', '""', []],
  ])('reads the credit log given %s', async (_shape, credits, ids) => {
    const srv = await recorded({ GetCredits: { body: `{"result":"success","totalresults":1,"clientid":"42","credits":${credits}}` } });
    try {
      expect((await client(srv.base).getCredits('42')).map((c) => c.id)).toEqual(ids);
    } finally {
      await srv.close();
    }
  });

  it('reads invoice lines nested under items.item, one or several', async () => {
    const one = await recorded({
      GetInvoice: {
        body:
          '{"result":"success","invoiceid":"9","invoicenum":"","userid":"42","date":"2026-03-10","datepaid":"2026-03-10 14:00:00","subtotal":"10.00","credit":"0.00","tax":"0.00","tax2":"0.00","status":"Paid",' +
          '"items":{"item":{"id":"1","type":"Hosting","relid":"501","description":"Plan","amount":"10.00"}},' +
          '"transactions":{"transaction":[{"id":"76","date":"2026-03-10 14:00:00","amountin":"10.00","amountout":"0.00","refundid":"0"},{"id":"77","date":"2026-03-11 09:00:00","amountin":"0.00","amountout":"4.00","refundid":"76"}]}}',
      },
    });
    try {
      expect(await client(one.base).getInvoice('9')).toEqual({
        id: '9',
        clientId: '42',
        status: 'Paid',
        items: [{ id: '1', type: 'Hosting', relId: '501', description: 'Plan', amount: '10.00' }],
        number: '',
        date: '2026-03-10',
        datePaid: '2026-03-10 14:00:00',
        subtotal: '10.00',
        tax: '0.00',
        tax2: '0.00',
        credit: '0.00',
        transactions: [
          { id: '76', date: '2026-03-10 14:00:00', amountOut: '0.00', refundId: '0' },
          { id: '77', date: '2026-03-11 09:00:00', amountOut: '4.00', refundId: '76' },
        ],
      });
    } finally {
      await one.close();
    }
  });

  it('turns result: error into a typed, non-retryable WhmcsApiError naming the call and the message', async () => {
    const srv = await recorded({ AddCredit: { body: '{"result":"error","message":"Client ID Not Found"}' } });
    try {
      const err = await client(srv.base).addCredit('999', '5.00', 'x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WhmcsApiError);
      expect(err).toMatchObject({ action: 'AddCredit', whmcsMessage: 'Client ID Not Found', retryable: false, code: 'panel_refused', status: 502 });
      expect((err as Error).message).toBe('WHMCS AddCredit failed: Client ID Not Found');
    } finally {
      await srv.close();
    }
  });

  it.each([
    ['a 5xx', { status: 503, body: '<html>maintenance</html>' }, true, false],
    ["a proxy's 503 page saying access denied", { status: 503, body: '<html>Access denied: the upstream is overloaded</html>' }, true, false],
    ['a 429', { status: 429, body: '' }, true, false],
    ['an authentication failure (fixable by the admin)', { status: 403, body: '{"result":"error","message":"Authentication Failed"}' }, true, true],
    ['an IP not allowed', { status: 200, body: '{"result":"error","message":"Invalid IP 10.0.0.1"}' }, true, true],
    ['HTML instead of JSON', { status: 200, body: '<html>login</html>' }, true, false],
    ['a validation error', { status: 200, body: '{"result":"error","message":"Amount must be a positive number"}' }, false, false],
  ])('%s is retryable: %s (access denied: %s)', async (_what, answer, retryable, accessDenied) => {
    const srv = await recorded({ AddCredit: answer });
    try {
      await expect(client(srv.base).addCredit('1', '5.00', 'x')).rejects.toMatchObject({ retryable, accessDenied });
    } finally {
      await srv.close();
    }
  });

  it('a timeout and a refused connection are retryable', async () => {
    const fake = await new FakeWhmcs().start();
    try {
      fake.addClient(1);
      fake.fail('GetCredits', { kind: 'hang' });
      const api = new WhmcsApiClient({ url: fake.url, ...{ identifier: fake.credentials.identifier, secret: fake.credentials.secret }, timeoutMs: 1000 });
      await expect(api.getCredits('1')).rejects.toMatchObject({ code: 'panel_unreachable', retryable: true });
    } finally {
      await fake.stop();
    }
    await expect(client('http://127.0.0.1:9/includes/api.php').getCredits('1')).rejects.toMatchObject({ code: 'panel_unreachable', retryable: true });
  });

  it('takes a base URL and adds includes/api.php', () => {
    expect(client('https://billing.example.com/').endpoint).toBe('https://billing.example.com/includes/api.php');
    expect(client('https://example.com/whmcs/includes/api.php').endpoint).toBe('https://example.com/whmcs/includes/api.php');
  });
});

describe('WhmcsPanelApi', () => {
  let fake: FakeWhmcs;
  const adapter = (tiers = 'Silver=2,Gold=3') => new WhmcsPanelApi(new WhmcsApiClient({ url: fake.url, ...fake.credentials, timeoutMs: 1000 }), { tierGroups: parseTierGroups(tiers) });
  const call = (api: WhmcsPanelApi, action: string, payload: unknown, key: string) => api.perform(panelActionCall(PANEL_ACTIONS, api, action, payload, key));
  const usd = (minor: number) => ({ currency: 'USD', minor });

  beforeEach(async () => {
    fake = await new FakeWhmcs().start();
  });
  afterEach(() => fake.stop());

  it('credits once: the key in the description, GetCredits checked before every AddCredit', async () => {
    const c = fake.addClient(42);
    const api = adapter();
    const first = await call(api, 'client.credit', { clientId: '42', amount: usd(500), description: '$5.00 credit' }, 'redemption:k1');
    const again = await call(api, 'client.credit', { clientId: '42', amount: usd(500), description: '$5.00 credit' }, 'redemption:k1');
    expect(fake.count('AddCredit')).toBe(1);
    expect(c.credits).toEqual([expect.objectContaining({ amount: '5.00', description: withKey('$5.00 credit', 'redemption:k1') })]);
    expect(again).toEqual({ reference: `credit:${c.credits[0]?.id}` });
    expect(first.reference === null || first.reference === again.reference).toBe(true);
    // Another key is another credit.
    await call(api, 'client.credit', { clientId: '42', amount: usd(250), description: '$2.50 credit' }, 'redemption:k2');
    expect(c.credits.map((x) => x.amount)).toEqual(['5.00', '2.50']);
  });

  it('an answer lost after WHMCS added the credit: the retry finds it and adds nothing', async () => {
    const c = fake.addClient(42);
    fake.fail('AddCredit', { kind: 'drop-after-apply' });
    const api = adapter();
    await expect(call(api, 'client.credit', { clientId: '42', amount: usd(500), description: 'credit' }, 'k-lost')).rejects.toMatchObject({ retryable: true });
    await call(api, 'client.credit', { clientId: '42', amount: usd(500), description: 'credit' }, 'k-lost');
    expect(fake.count('AddCredit')).toBe(1);
    expect(c.credits).toHaveLength(1);
  });

  it('refuses a credit in another currency than the client pays in', async () => {
    fake.addClient(42, 'EUR');
    await expect(call(adapter(), 'client.credit', { clientId: '42', amount: usd(500), description: 'credit' }, 'k')).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/pays in EUR/) });
    expect(fake.count('AddCredit')).toBe(0);
  });

  it('adds a discount line to an unpaid invoice once, and refuses a paid one', async () => {
    fake.addClient(42);
    const inv = fake.addInvoice(7, 42, 'Unpaid', [{ id: 1, type: 'Hosting', relid: 77, description: 'Plan', amount: '100.00', taxed: 0 }]);
    const api = adapter();
    const payload = { invoiceId: '7', amount: usd(1000), description: 'Gold renewal discount (10%)' };
    await call(api, 'invoice.discount', payload, 'discount:7');
    await call(api, 'invoice.discount', payload, 'discount:7');
    expect(fake.count('UpdateInvoice')).toBe(1);
    expect(inv.items[1]).toMatchObject({ amount: '-10.00', taxed: 0, description: withKey('Gold renewal discount (10%)', 'discount:7') });
    fake.addInvoice(8, 42, 'Paid');
    await expect(call(api, 'invoice.discount', { ...payload, invoiceId: '8' }, 'discount:8')).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/is Paid/) });
  });

  it('puts the client in the group mapped to the tier; an unmapped tier is refused naming the setting', async () => {
    const c = fake.addClient(42);
    await call(adapter(), 'client.tier', { clientId: '42', tier: 'gold' }, 'tier:1');
    expect(c.groupid).toBe(3);
    await expect(call(adapter(), 'client.tier', { clientId: '42', tier: 'Platinum' }, 'tier:2')).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/WHMCS_TIER_GROUPS/) });
    expect(adapter('').capabilities.clientTier).toBe(false);
  });

  it('sends an email as a custom general message, the body inside our HTML, its reference in a comment', async () => {
    fake.addClient(42);
    const payload = { clientId: '42', to: 'client42@example.com', purpose: 'statement', channel: 'panel', subject: 'Your points', html: '<html><body><p>Hi</p></body></html>', text: 'Hi' };
    await call(adapter(), 'client.email', payload, 'email:1');
    expect(fake.calls.at(-1)?.params).toMatchObject({
      action: 'SendEmail',
      id: '42',
      customtype: 'general',
      customsubject: 'Your points',
      custommessage: `<p>Hi</p>\n<!-- hosting-rewards [ref ${shortRef('email:1')}] -->`,
    });
  });

  describe('an email is sent once although SendEmail is not idempotent', () => {
    const email = (subject = 'Your points expire soon') => ({ clientId: '42', to: 'client42@example.com', purpose: 'expiry-warning', channel: 'panel', subject, html: '<html><body><p>Hi</p></body></html>', text: 'Hi' });
    const queuedAt = new Date();
    /** As the outbox dispatcher hands it over: the first attempt, or one after an attempt that may have reached WHMCS. */
    const attempt = (api: WhmcsPanelApi, retry: boolean, key = 'email:expiry-warning:1:2026-12-08', payload = email(), requeued = false) =>
      api.perform(panelActionCall(PANEL_ACTIONS, api, 'client.email', payload, key, { retry, requeued, queuedAt }));
    const sent = () => fake.clients.get('42')?.emails ?? [];
    const whmcsDate = (at: Date) => at.toISOString().slice(0, 19).replace('T', ' ');

    it.each([
      ['its connection dropped after WHMCS sent it', 'drop-after-apply'],
      ['it timed out while WHMCS sent it', 'apply-then-hang'],
    ] as const)('the answer is lost (%s): the retry finds it in the email log and sends nothing', async (_, kind) => {
      fake.addClient(42);
      const api = adapter();
      fake.fail('SendEmail', { kind });
      await expect(attempt(api, false)).rejects.toMatchObject({ retryable: true });
      expect(fake.count('GetEmails')).toBe(0); // a first attempt doesn't look
      const retried = await attempt(api, true);
      expect(fake.count('SendEmail')).toBe(1);
      expect(sent()).toHaveLength(1);
      expect(retried).toEqual({ reference: `email:${sent()[0]?.id}` });
      expect(fake.calls.find((c) => c.action === 'GetEmails')?.params).toMatchObject({ clientid: '42', subject: 'Your points expire soon' });
    });

    it('WHMCS failed before sending (503): the retry finds nothing and sends it', async () => {
      fake.addClient(42);
      const api = adapter();
      fake.fail('SendEmail', { kind: 'status', status: 503, body: 'busy' });
      await expect(attempt(api, false)).rejects.toMatchObject({ retryable: true });
      await attempt(api, true);
      expect(fake.count('SendEmail')).toBe(2);
      expect(sent()).toHaveLength(1);
    });

    it("another email of the same subject, or this one's of another key, is not taken for it", async () => {
      fake.addClient(42);
      const api = adapter();
      await attempt(api, false, 'email:expiry-warning:1:2026-11-01');
      fake.fail('SendEmail', { kind: 'status', status: 502, body: 'bad gateway' });
      await expect(attempt(api, false)).rejects.toMatchObject({ retryable: true });
      await attempt(api, true);
      expect(sent()).toHaveLength(2);
      expect(sent().map((e) => e.message.match(/\[ref ([0-9a-f]+)\]/)?.[1])).toEqual([shortRef('email:expiry-warning:1:2026-11-01'), shortRef('email:expiry-warning:1:2026-12-08')]);
    });

    it("a call that can't say whether it is a retry looks first (a host calling the adapter itself)", async () => {
      fake.addClient(42);
      const api = adapter();
      fake.fail('SendEmail', { kind: 'drop-after-apply' });
      const payload = email();
      await expect(call(api, 'client.email', payload, 'email:k')).rejects.toMatchObject({ retryable: true });
      await call(api, 'client.email', payload, 'email:k');
      expect(fake.count('GetEmails')).toBe(2);
      expect(fake.count('SendEmail')).toBe(1);
    });

    it('finds it past the first page of the log, and by a subject WHMCS may have stored encoded', async () => {
      const client = fake.addClient(42);
      const subject = "Points you'll lose & soon";
      // Thirty earlier emails of ours with that subject, stored with it encoded.
      for (let i = 0; i < 30; i++) {
        client.emails.push({ id: 5000 + i, subject: 'Points you&#039;ll lose &amp; soon', message: `<p>Earlier</p><!-- hosting-rewards [ref ${String(i).padStart(10, 'a')}] -->`, date: whmcsDate(queuedAt) });
      }
      const api = adapter();
      fake.fail('SendEmail', { kind: 'drop-after-apply' });
      await expect(attempt(api, false, 'email:k2', email(subject))).rejects.toMatchObject({ retryable: true });
      // Stored first, so it comes last (the log is newest first): on the second page.
      client.emails.unshift(client.emails.pop()!);
      await attempt(api, true, 'email:k2', email(subject));
      expect(fake.count('SendEmail')).toBe(1);
      expect(fake.calls.filter((c) => c.action === 'GetEmails').map((c) => c.params.limitstart)).toEqual(['0', '25']);
      expect(fake.calls.find((c) => c.action === 'GetEmails')?.params.subject).toBe('Points you');
    });

    it("a log that keeps no reference can't tell: the retry fails for good rather than send twice", async () => {
      fake.addClient(42);
      fake.stripsComments = true;
      const api = adapter();
      fake.fail('SendEmail', { kind: 'drop-after-apply' });
      await expect(attempt(api, false)).rejects.toMatchObject({ retryable: true });
      await expect(attempt(api, true)).rejects.toMatchObject({ code: 'delivery_unverifiable', retryable: false, message: expect.stringMatching(/can't be told.*never send it twice/) });
      expect(fake.count('SendEmail')).toBe(1);
      // An admin looked in WHMCS and retried it: sent.
      await attempt(api, true, undefined, undefined, true);
      expect(fake.count('SendEmail')).toBe(2);
    });

    it("only emails of this very subject can make it unverifiable: WHMCS's own emails the loose search also matches don't", async () => {
      const client = fake.addClient(42);
      client.emails.push({ id: 4100, subject: 'Invoice for October 2026', message: '<p>WHMCS invoice</p>', date: whmcsDate(queuedAt) });
      const api = adapter();
      const statement = email('Statement — October 2026');
      fake.fail('SendEmail', { kind: 'status', status: 500, body: 'oops' });
      await expect(attempt(api, false, 'email:statement:1:2026-10', statement)).rejects.toMatchObject({ retryable: true });
      await attempt(api, true, 'email:statement:1:2026-10', statement);
      expect(fake.calls.find((c) => c.action === 'GetEmails')?.params.subject).toBe('October 2026');
      expect(sent().map((e) => e.subject)).toEqual(['Invoice for October 2026', 'Statement — October 2026']);
      // The same subject stored encoded, without our reference, is this one's kind: it can't tell.
      client.emails.push({ id: 4101, subject: 'Points you&#039;ll lose', message: '<p>no reference</p>', date: whmcsDate(queuedAt) });
      await expect(attempt(api, true, 'email:k3', email("Points you'll lose"))).rejects.toMatchObject({ code: 'delivery_unverifiable' });
    });

    it('emails of the subject from before the action was queued leave the retry free to send', async () => {
      const client = fake.addClient(42);
      client.emails.push({ id: 4000, subject: 'Your points expire soon', message: '<p>an older warning, before references</p>', date: whmcsDate(new Date(queuedAt.getTime() - 40 * 86_400_000)) });
      const api = adapter();
      fake.fail('SendEmail', { kind: 'status', status: 500, body: 'oops' });
      await expect(attempt(api, false)).rejects.toMatchObject({ retryable: true });
      await attempt(api, true);
      expect(sent()).toHaveLength(2);
    });
  });

  it('declares it cannot create promo codes, and a promo.create row (from an older version) fails for good without calling WHMCS', async () => {
    fake.addClient(42);
    const api = adapter();
    expect(api.capabilities.promoCode).toBe(false);
    const promo = { clientId: '42', code: 'RW-ABCDEFGH', discount: { type: 'amount', amount: usd(700) }, expiresAt: null, description: 'Free month' };
    expect(() => panelActionCall(PANEL_ACTIONS, api, 'promo.create', promo, 'p1')).toThrow(PanelError);
    expect(() => panelActionCall(PANEL_ACTIONS, api, 'promo.create', promo, 'p1')).toThrow(/no promoCode capability/);
    expect(fake.calls).toHaveLength(0);
  });
});

describe('PANEL=whmcs configuration', () => {
  const context = { webhookSecret: 'whsec_dGVzdC13ZWJob29rLXNlY3JldA==', clock: () => new Date() };

  it('without API credentials the adapter waits (actions stay in the outbox); with them it is the WHMCS adapter', () => {
    expect(createPanelAdapter('whmcs', loadConfig({ PANEL: 'whmcs' }), context)).toBeUndefined();
    const config = loadConfig({ PANEL: 'whmcs', WHMCS_API_URL: 'https://billing.example.com', WHMCS_API_IDENTIFIER: 'i', WHMCS_API_SECRET: 's', WHMCS_TIER_GROUPS: 'Silver=2, Gold=3' });
    const api = createPanelAdapter('whmcs', config, context);
    expect(api).toBeInstanceOf(WhmcsPanelApi);
    expect(api?.capabilities).toMatchObject({ credit: true, invoiceDiscount: true, clientTier: true, email: true });
    // Known before the API is configured: a redemption decides code rewards by it.
    expect(panelAdapterCapabilities('whmcs', loadConfig({ PANEL: 'whmcs' }))).toMatchObject({ promoCode: false, credit: true, clientTier: false });
    expect(panelAdapterCapabilities('generic', loadConfig({ PANEL: 'generic' })).promoCode).toBe(true);
    expect(panelAdapterCapabilities('demo', loadConfig({})).promoCode).toBe(true);
  });

  it.each([
    [{ WHMCS_API_URL: 'https://billing.example.com' }, 'WHMCS_API_IDENTIFIER'],
    [{ WHMCS_API_IDENTIFIER: 'i', WHMCS_API_SECRET: 's' }, 'WHMCS_API_URL'],
    [{ WHMCS_TIER_GROUPS: 'Gold' }, 'WHMCS_TIER_GROUPS'],
    [{ WHMCS_API_TIMEOUT_MS: '5' }, 'WHMCS_API_TIMEOUT_MS'],
  ])('refuses %j naming %s', (env, name) => {
    expect(() => loadConfig({ PANEL: 'whmcs', ...env })).toThrow(new RegExp(name));
  });
});
