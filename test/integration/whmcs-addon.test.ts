import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jwtVerify } from 'jose';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { SETTINGS } from '../../plugin/domain/settings';
import { expectBalancesConsistent, startTestApp, TEST_SECRETS, type TestApp } from '../support/harness';
import { addonSettings, runWhmcs, whmcsDate, type SentDelivery, type WhmcsState } from '../support/whmcs-php';

/**
 * The WHMCS addon (integrations/whmcs) run by real PHP against the plugin's real webhook and
 * SSO endpoints: every hook becomes the right canonical event with a signature the plugin
 * accepts; WHMCS firing a hook again is a duplicate; a plugin that is down leaves events in
 * the spool for AfterCronJob; the Rewards tab and admin links carry tokens the plugin accepts.
 */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ realTime: true });
});
afterAll(async () => {
  await app.close();
});

// Fixed for the file: WHMCS's dates don't move between hook runs, so neither do these.
const START = Date.now();
const ago = (minutes: number) => whmcsDate(new Date(START - minutes * 60_000));

/** A WHMCS with one client (EUR), a shared-hosting service and a paid renewal invoice. */
function fixture(over: { pluginUrl?: string; tierMode?: string; tabMode?: string; shape?: 'nested' | 'flattened' } = {}): WhmcsState {
  return {
    tables: {
      tbladdonmodules: addonSettings({
        plugin_url: over.pluginUrl ?? app.baseUrl,
        webhook_secret: TEST_SECRETS.webhook,
        sso_secret: TEST_SECRETS.sso,
        tier_discount_mode: over.tierMode ?? 'client_tier',
        tab_mode: over.tabMode ?? 'link',
        admin_roles: 'Full Administrator=owner\n3=billing',
        timeout: '3',
      }),
      tblclients: [{ id: 42, datecreated: ago(600) }],
      tblproductgroups: [{ id: 1, name: 'Shared Hosting' }],
      tblproducts: [{ id: 3, gid: 1, name: 'Starter' }],
      tblhosting: [{ id: 77, userid: 42, packageid: 3, billingcycle: 'Annually', amount: '100.00' }],
      tblorders: [{ id: 9, userid: 42, invoiceid: 2002 }],
      tblupgrades: [{ id: 5, relid: 77, type: 'package', date: ago(5), recurringchange: '40.00', amount: '40.00' }],
      tblaccounts: [],
      tblcancelrequests: [{ id: 8, relid: 77, type: 'End of Billing Period' }],
      tbladmins: [
        { id: 1, roleid: 1, firstname: 'Ada', lastname: 'Admin', username: 'ada' },
        { id: 2, roleid: 2, firstname: 'Sam', lastname: 'Support', username: 'sam' },
      ],
      tbladminroles: [
        { id: 1, name: 'Full Administrator' },
        { id: 2, name: 'Support Operator' },
      ],
    },
    api: {
      shape: over.shape ?? 'nested',
      clients: {
        '42': { id: 42, firstname: 'Ann', lastname: 'Lee', email: 'ann@example.com', language: 'russian', currency: 2, currency_code: 'EUR', status: 'Active' },
      },
      invoices: {
        // A renewal: a hosting line, a domain renewal, a promotion (negative) and funds added; 20.00 paid from credit.
        '1001': {
          userid: 42, invoicenum: 'INV-1001', date: ago(60), datepaid: ago(10), status: 'Paid',
          subtotal: '130.00', tax: '0.00', tax2: '0.00', credit: '20.00', total: '110.00',
          items: [
            { id: 5001, type: 'Hosting', relid: 77, description: 'Starter (annual)', amount: '100.00', taxed: 0 },
            { id: 5002, type: 'DomainRenew', relid: 12, description: 'example.com', amount: '20.00', taxed: 0 },
            { id: 5003, type: 'PromoHosting', relid: 77, description: 'Promo', amount: '-10.00', taxed: 0 },
            { id: 5004, type: 'AddFunds', relid: 0, description: 'Add funds', amount: '20.00', taxed: 0 },
          ],
        },
        // An order's invoice: its hosting line is new; an upgrade line.
        '2002': {
          userid: 42, date: ago(30), datepaid: ago(5), status: 'Paid', subtotal: '60.00', tax: '12.00', tax2: '0.00', credit: '0.00', total: '72.00',
          items: [
            { id: 6001, type: 'Hosting', relid: 77, description: 'Starter', amount: '40.00', taxed: 1 },
            { id: 6002, type: 'Upgrade', relid: 5, description: 'Upgrade', amount: '20.00', taxed: 1 },
          ],
        },
        // Never paid.
        '3003': { userid: 42, date: ago(30), datepaid: '0000-00-00 00:00:00', status: 'Unpaid', subtotal: '10.00', tax: '0.00', credit: '0.00', total: '10.00', items: [] },
      },
    },
  };
}

const answer = (s: SentDelivery) => JSON.parse(s.answer) as { event: string; outcome: string; points: number };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event as sent, read field by field
type SentEvent = { id: string; type: string; [field: string]: any };
const body = (s: SentDelivery) => JSON.parse(s.body) as SentEvent;
const spool = (state: WhmcsState) => (state.tables.mod_hosting_rewards_spool ?? []) as Array<Record<string, any>>;

async function activated(over: Parameters<typeof fixture>[0] = {}): Promise<WhmcsState> {
  const r = await runWhmcs(fixture(over), [{ call: 'activate' }]);
  expect(r.results[0]).toMatchObject({ status: 'success' });
  return r.state;
}

describe('WHMCS addon module', () => {
  it('has its settings; activate creates the spool table and deactivate drops it', async () => {
    const r = await runWhmcs(fixture(), [{ call: 'config' }, { call: 'activate' }, { call: 'activate' }]);
    const config = r.results[0] as { fields: Record<string, { Type: string }> };
    expect(Object.keys(config.fields)).toEqual(expect.arrayContaining(['plugin_url', 'webhook_secret', 'sso_secret', 'tier_discount_mode']));
    // The secrets are masked, and the README says what they are.
    expect([config.fields.webhook_secret?.Type, config.fields.sso_secret?.Type]).toEqual(['password', 'password']);
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    expect(readme).toMatch(/The secrets are password fields in the addon's settings/);
    expect(readme).not.toMatch(/Secrets are text fields/);
    expect(r.results[2]).toMatchObject({ status: 'success' });
    expect(r.state.tables.mod_hosting_rewards_spool).toEqual([]);
    const d = await runWhmcs(r.state, [{ call: 'deactivate' }]);
    expect(d.state.tables.mod_hosting_rewards_spool).toBeUndefined();
  });

  it('deactivating with events the plugin never got says how many are dropped and what that costs, and logs their ids; it still deactivates', async () => {
    const down = await runWhmcs(await activated({ pluginUrl: 'http://127.0.0.1:9' }), [
      { hook: 'InvoicePaid', vars: { invoiceid: 1001 } },
      { hook: 'ClientEdit', vars: { userid: 42 } },
    ]);
    expect(spool(down.state).map((s) => s.state)).toEqual(['pending', 'pending']);
    const ids = spool(down.state).map((s) => s.event_id as string);
    const d = await runWhmcs(down.state, [{ call: 'deactivate' }]);
    expect(d.state.tables.mod_hosting_rewards_spool).toBeUndefined();
    const result = d.results[0] as { status: string; description: string };
    expect(result.status).toBe('success');
    expect(result.description).toMatch(/2 events had not reached the plugin and were dropped/);
    expect(result.description).toMatch(/earn no points/);
    expect(result.description).toMatch(/npm run backfill -- --from whmcs --since \d{4}-\d{2}-\d{2}/);
    expect(result.description).not.toMatch(/Points stay in the plugin\.$/);
    expect(d.activity.join('\n')).toContain(ids.join(', '));

    // Nothing waiting: nothing to warn about.
    const clean = await runWhmcs(await activated(), [{ hook: 'ClientEdit', vars: { userid: 42 } }, { call: 'deactivate' }]);
    expect(clean.results[1]).toMatchObject({ status: 'success', description: expect.stringMatching(/every event had reached the plugin/) });
    expect(clean.activity).toEqual([]);
  });

  it('InvoicePaid: a signed invoice.paid the plugin applies, typed items, client currency, credit share; a repeat is a duplicate', async () => {
    const state = await activated();
    const r = await runWhmcs(state, [{ hook: 'InvoicePaid', vars: { invoiceid: 1001 } }, { hook: 'InvoicePaid', vars: { invoiceid: 1001 } }]);
    expect(r.activity).toEqual([]);
    expect(r.sent).toHaveLength(2);
    const [first, again] = r.sent as [SentDelivery, SentDelivery];
    // The plugin's real endpoint accepted PHP's signature; the repeat changed nothing.
    expect(first.status).toBe(200);
    expect(answer(first)).toMatchObject({ outcome: 'applied' });
    expect(answer(first).points).toBeGreaterThan(0);
    expect(again.status).toBe(200);
    expect(answer(again)).toMatchObject({ event: answer(first).event, outcome: 'duplicate' });
    expect(again.body).toBe(first.body);
    // Byte for byte what the reference library makes of the same input.
    const ts = new Date(Number(first.headers['webhook-timestamp']) * 1000);
    expect(first.headers['webhook-signature']).toBe(new Webhook(TEST_SECRETS.webhook).sign(first.headers['webhook-id'] as string, ts, first.body));

    const event = body(first);
    expect(event.id).toMatch(/^whmcs:invoice:1001:paid:\d{8}T\d{6}Z$/);
    expect(first.headers['webhook-id']).toBe(event.id);
    expect(event).toMatchObject({
      type: 'invoice.paid',
      client: { id: '42', email: 'ann@example.com', name: 'Ann Lee', locale: 'ru', currency: 'EUR', status: 'active' },
      invoice: { id: '1001', number: 'INV-1001', currency: 'EUR', total: '130.00', paid_from_credit: '20.00', tax: '0.00' },
    });
    expect(event.invoice.items).toEqual([
      { id: '5001', type: 'renewal', service_id: '77', product_id: '3', product_group: 'shared-hosting', billing_cycle: 'annually', amount: '100.00' },
      { id: '5002', type: 'domain', amount: '20.00' },
      { id: '5004', type: 'add_funds', amount: '20.00' },
    ]);
    expect(spool(r.state).map((s) => [s.event_id, s.state])).toEqual([[event.id, 'sent']]);
    const member = await app.plugin.db.knex('loyalty_members').where({ panel_client_id: '42' }).first();
    expect(member).toBeDefined();
    await expectBalancesConsistent(app.plugin);
  });

  it('an order invoice has new and upgrade lines; tax goes beside the net lines', async () => {
    const r = await runWhmcs(await activated(), [{ hook: 'InvoicePaid', vars: { invoiceid: 2002 } }]);
    const sent = r.sent[0] as SentDelivery;
    expect(sent.status).toBe(200);
    expect(body(sent).invoice).toMatchObject({ total: '72.00', tax: '12.00', paid_from_credit: '0.00' });
    expect(body(sent).invoice.items.map((i: { type: string }) => i.type)).toEqual(['new', 'upgrade']);
    expect(body(sent).invoice.items[1]).toMatchObject({ service_id: '77' });
  });

  it('the flattened GetClientsDetails shape and a single item not in a list make the same event', async () => {
    const nested = await runWhmcs(await activated({ pluginUrl: 'http://127.0.0.1:9' }), [{ hook: 'InvoicePaid', vars: { invoiceid: 1001 } }]);
    const flat = await runWhmcs(await activated({ pluginUrl: 'http://127.0.0.1:9', shape: 'flattened' }), [{ hook: 'InvoicePaid', vars: { invoiceid: 1001 } }]);
    expect(spool(flat.state)[0]?.body).toBe(spool(nested.state)[0]?.body);
  });

  it('partial refunds from AddTransaction, a full refund repeats them, and unpaid after paid reverses', async () => {
    let state = await activated();
    let r = await runWhmcs(state, [{ hook: 'InvoicePaid', vars: { invoiceid: 1001 } }]);
    state = r.state;
    state.tables.tblaccounts = [
      { id: 900, userid: 42, invoiceid: 1001, amountin: '110.00', amountout: '0.00', refundid: 0, date: ago(10) },
      { id: 901, userid: 42, invoiceid: 1001, amountin: '0.00', amountout: '30.00', refundid: 900, date: ago(2) },
    ];
    r = await runWhmcs(state, [
      // A payment transaction is not a refund: nothing is sent for it.
      { hook: 'AddTransaction', vars: { id: 900, invoiceid: 1001, userid: 42, amountin: 110, refundid: 0 } },
      { hook: 'AddTransaction', vars: { id: 901, invoiceid: 1001, userid: 42, amountout: 30, refundid: 900 } },
      { hook: 'InvoiceRefunded', vars: { invoiceid: 1001 } },
      { hook: 'InvoiceUnpaid', vars: { invoiceid: 1001 } },
      { hook: 'InvoiceUnpaid', vars: { invoiceid: 1001 } },
      // Cancelling an invoice that was never paid reverses nothing.
      { hook: 'InvoiceCancelled', vars: { invoiceid: 3003 } },
    ]);
    expect(r.activity).toEqual([]);
    const events = r.sent.map((s) => ({ ...body(s), outcome: answer(s).outcome, status: s.status }));
    expect(events.map((e) => [e.type, e.outcome])).toEqual([
      ['invoice.refunded', 'applied'],
      ['invoice.refunded', 'duplicate'],
      ['invoice.reversed', 'applied'],
      ['invoice.reversed', 'duplicate'],
    ]);
    expect(events[0]).toMatchObject({ id: 'whmcs:invoice:1001:refund:901', invoice: { refunded: '30.00' } });
    const paidId = spool(r.state).find((s) => s.event_type === 'invoice.paid')?.event_id as string;
    expect(events[2]?.id).toBe(paidId.replace(':paid:', ':reversed:'));
    await expectBalancesConsistent(app.plugin);
  });

  it('upgrades, module commands, cancellation requests and clients become service and client events', async () => {
    const r = await runWhmcs(await activated(), [
      { hook: 'ClientAdd', vars: { client_id: 42, userid: 42, firstname: 'Ann' } },
      { hook: 'ClientEdit', vars: { userid: 42 } },
      { hook: 'ClientEdit', vars: { userid: 42 } },
      { hook: 'AfterProductUpgrade', vars: { upgradeid: 5 } },
      { hook: 'AfterConfigOptionsUpgrade', vars: { upgradeid: 5 } },
      { hook: 'AfterModuleSuspend', vars: { params: { serviceid: 77, userid: 42 } } },
      { hook: 'AfterModuleUnsuspend', vars: { params: { serviceid: 77, userid: 42 } } },
      { hook: 'CancellationRequest', vars: { userid: 42, relid: 77, type: 'End of Billing Period', reason: 'moving' } },
      { hook: 'AfterModuleTerminate', vars: { params: { serviceid: 77, userid: 42 } } },
    ]);
    expect(r.activity).toEqual([]);
    for (const s of r.sent) expect(s.status).toBe(200);
    const events = r.sent.map((s) => ({ ...body(s), outcome: answer(s).outcome }));
    expect(events.map((e) => [e.type, e.outcome])).toEqual([
      ['client.created', 'applied'],
      ['client.updated', expect.any(String)],
      ['client.updated', 'duplicate'],
      ['service.upgraded', expect.any(String)],
      ['service.upgraded', 'duplicate'],
      ['service.suspended', expect.any(String)],
      ['service.unsuspended', expect.any(String)],
      ['service.cancelled', expect.any(String)],
      ['service.cancelled', expect.any(String)],
    ]);
    expect(events[0]?.id).toBe('whmcs:client:42:created');
    expect(events[3]).toMatchObject({
      id: 'whmcs:service:77:upgraded:5',
      service: { id: '77', product_id: '3', product_group: 'shared-hosting', billing_cycle: 'annually', currency: 'EUR', amount: '100.00', previous_amount: '60.00' },
    });
    expect(events[7]?.id).toBe('whmcs:service:77:cancel-request:8');
    // Status changes are counted per service (suspend 1, unsuspend 2, terminate 3), each with the second it was first seen.
    expect([events[5]?.id, events[6]?.id, events[8]?.id]).toEqual([
      expect.stringMatching(/^whmcs:service:77:suspended:1-\d{8}T\d{6}Z$/),
      expect.stringMatching(/^whmcs:service:77:unsuspended:2-\d{8}T\d{6}Z$/),
      expect.stringMatching(/^whmcs:service:77:terminated:3-\d{8}T\d{6}Z$/),
    ]);
    for (const e of events) expect(e.id).toMatch(/^[A-Za-z0-9:_-]{1,128}$/);
  });

  /** The fixture with more services of client 42 (their own ids, so no test meets another's events in the shared plugin). */
  async function withServices(...ids: number[]): Promise<WhmcsState> {
    const state = await activated();
    state.tables.tblhosting = [...(state.tables.tblhosting ?? []), ...ids.map((id) => ({ id, userid: 42, packageid: 3, billingcycle: 'Monthly', amount: '10.00' }))];
    return state;
  }
  const command = (hook: string, serviceid: number) => ({ hook, vars: { params: { serviceid, userid: 42 } } });
  const NEW = expect.not.stringMatching(/^duplicate$/);

  it('a re-fired suspend, unsuspend or terminate repeats its event id (a duplicate); a suspend after an unsuspend is a new one', async () => {
    const [suspend, unsuspend, terminate] = ['AfterModuleSuspend', 'AfterModuleUnsuspend', 'AfterModuleTerminate'].map((h) => command(h, 79)) as [ReturnType<typeof command>, ReturnType<typeof command>, ReturnType<typeof command>];
    const first = await runWhmcs(await withServices(79, 80), [suspend, suspend]);
    // Another request later (another PHP process, a second or more on): WHMCS fires the same suspension again.
    await new Promise((r) => setTimeout(r, 1100));
    const later = await runWhmcs(first.state, [suspend, unsuspend, unsuspend, suspend, suspend, terminate, terminate]);
    const sent = [...first.sent, ...later.sent];
    expect([...first.activity, ...later.activity]).toEqual([]);
    for (const s of sent) expect(s.status).toBe(200);
    const events = sent.map((s) => ({ id: body(s).id, outcome: answer(s).outcome }));
    const counted = events.map((e) => /^whmcs:service:79:(\w+):(\d+)-\d{8}T\d{6}Z$/.exec(e.id)?.slice(1, 3).join(' '));
    expect(counted).toEqual(['suspended 1', 'suspended 1', 'suspended 1', 'unsuspended 2', 'unsuspended 2', 'suspended 3', 'suspended 3', 'terminated 4', 'terminated 4']);
    // A re-fire is the very same id (the second it was first seen included), hence a duplicate.
    expect(events[1]?.id).toBe(events[0]?.id);
    expect(events[2]?.id).toBe(events[0]?.id);
    expect(events.map((e) => e.outcome)).toEqual([NEW, 'duplicate', 'duplicate', NEW, 'duplicate', NEW, 'duplicate', NEW, 'duplicate']);
    // One spool row per change.
    expect(spool(later.state).filter((r) => r.object_ref === 'service:79').map((r) => r.event_id)).toEqual([...new Set(events.map((e) => e.id))]);
    // Each service counts its own changes.
    const other = await runWhmcs(later.state, [command('AfterModuleSuspend', 80)]);
    expect(other.sent.map((s) => body(s).id)).toEqual([expect.stringMatching(/^whmcs:service:80:suspended:1-/)]);
  });

  it('the spool keeps a service’s latest status change past its 400 days, so the count goes on and a re-fire is still recognised', async () => {
    const suspend = command('AfterModuleSuspend', 81);
    const unsuspend = command('AfterModuleUnsuspend', 81);
    const r = await runWhmcs(await withServices(81), [suspend, unsuspend]);
    const unsuspended = spool(r.state)[1]?.event_id as string;
    // Both sent long ago, with an invoice event as old.
    const old = whmcsDate(new Date(Date.now() - 500 * 86_400_000));
    const rows: Array<Record<string, unknown>> = spool(r.state).map((row) => ({ ...row, sent_at: old }));
    rows.push({ ...rows[0], id: 99, event_id: 'whmcs:invoice:1:created', event_type: 'invoice.created', object_ref: 'invoice:1', discriminator: '' });
    r.state.tables.mod_hosting_rewards_spool = rows;
    const cron = await runWhmcs(r.state, [{ hook: 'AfterCronJob' }]);
    expect(spool(cron.state).map((row) => [row.event_id, row.state])).toEqual([[unsuspended, 'kept']]);
    const again = await runWhmcs(cron.state, [unsuspend, suspend, { hook: 'AfterCronJob' }]);
    expect(again.sent.map((s) => [body(s).id, answer(s).outcome])).toEqual([
      [unsuspended, 'duplicate'],
      [expect.stringMatching(/^whmcs:service:81:suspended:3-/), NEW],
    ]);
  });

  it('InvoiceCreated is forwarded only for the invoice_line tier discount mode', async () => {
    const off = await runWhmcs(await activated(), [{ hook: 'InvoiceCreated', vars: { invoiceid: 3003, source: 'autogen', status: 'Unpaid' } }]);
    expect(off.sent).toEqual([]);
    const on = await runWhmcs(await activated({ tierMode: 'invoice_line' }), [{ hook: 'InvoiceCreated', vars: { invoiceid: 3003 } }]);
    expect(on.sent.map((s) => [body(s).type, body(s).id, s.status])).toEqual([['invoice.created', 'whmcs:invoice:3003:created', 200]]);
  });

  it("a fresh install sends new invoices: the addon's default tier discount mode is the plugin's, so a Gold member's renewal gets its discount line", async () => {
    const config = (await runWhmcs(fixture(), [{ call: 'config' }])).results[0] as { fields: Record<string, { Default?: string; Options?: string }> };
    expect(config.fields.tier_discount_mode?.Default).toBe(SETTINGS.tier_discount_method.default);
    expect(config.fields.tier_discount_mode?.Options?.split(',')).toContain(SETTINGS.tier_discount_method.default);
    // Activated and configured, the tier discount mode never saved: a fresh install left at its defaults, as the plugin is.
    const state = await activated();
    state.tables.tbladdonmodules = (state.tables.tbladdonmodules ?? []).filter((row) => row.setting !== 'tier_discount_mode');
    expect((await app.plugin.services.program.current()).tierDiscountMethod).toBe('invoice_line');
    // A USD client (tiers count USD spend by default) who spent enough for Gold, then a renewal invoice.
    state.api.clients['61'] = { id: 61, firstname: 'Gil', lastname: 'Gold', email: 'gil@example.com', currency_code: 'USD', status: 'Active' };
    state.tables.tblclients = [...(state.tables.tblclients ?? []), { id: 61, datecreated: ago(600) }];
    state.tables.tblhosting = [...(state.tables.tblhosting ?? []), { id: 91, userid: 61, packageid: 3, billingcycle: 'Monthly', amount: '100.00' }];
    state.api.invoices['6101'] = {
      userid: 61, date: ago(20), datepaid: ago(15), status: 'Paid', subtotal: '2000.00', tax: '0.00', tax2: '0.00', credit: '0.00', total: '2000.00',
      items: [{ id: 7101, type: 'Hosting', relid: 91, description: 'Starter (dedicated)', amount: '2000.00', taxed: 0 }],
    };
    state.api.invoices['6102'] = {
      userid: 61, date: ago(1), datepaid: '0000-00-00 00:00:00', status: 'Unpaid', subtotal: '100.00', tax: '0.00', tax2: '0.00', credit: '0.00', total: '100.00',
      items: [{ id: 7102, type: 'Hosting', relid: 91, description: 'Starter (monthly)', amount: '100.00', taxed: 0 }],
    };
    const r = await runWhmcs(state, [
      { hook: 'InvoicePaid', vars: { invoiceid: 6101 } },
      { hook: 'InvoiceCreated', vars: { invoiceid: 6102, source: 'autogen', status: 'Unpaid' } },
    ]);
    expect(r.activity).toEqual([]);
    expect(r.sent.map((s) => [body(s).type, s.status])).toEqual([
      ['invoice.paid', 200],
      ['invoice.created', 200],
    ]);
    expect(JSON.parse((r.sent[1] as SentDelivery).answer)).toMatchObject({ outcome: 'applied', detail: 'tier_discount_queued' });
    const line = await app.plugin.db.knex('loyalty_outbox').where({ idempotency_key: 'tier-discount:invoice:6102' }).first();
    expect(JSON.parse(line.payload)).toMatchObject({ invoiceId: '6102', amount: { currency: 'USD', minor: 500 } });
  });

  it('a down plugin never breaks the hook: events are spooled, logged, and the next AfterCronJob sends them in order', async () => {
    const state = await activated({ pluginUrl: 'http://127.0.0.1:9' });
    state.tables.tblclients = [{ id: 43, datecreated: ago(1) }];
    state.api.clients['43'] = { id: 43, firstname: 'Bo', lastname: 'Diaz', email: 'bo@example.com', currency_code: 'EUR', status: 'Active' };
    const down = await runWhmcs(state, [
      { hook: 'ClientAdd', vars: { client_id: 43 } },
      { hook: 'InvoicePaid', vars: { invoiceid: 2002 } },
    ]);
    expect(spool(down.state).map((s) => s.state)).toEqual(['pending', 'pending']);
    expect(down.activity.join('\n')).toMatch(/not delivered .*spooled for the cron/);
    // Due again: the cron runs later, and the plugin is back.
    for (const row of spool(down.state)) row.next_attempt_at = whmcsDate(new Date(Date.now() - 60_000));
    const up = await runWhmcs(down.state, [{ set: { settings: { plugin_url: app.baseUrl } } }, { hook: 'AfterCronJob' }, { hook: 'AfterCronJob' }]);
    expect(up.sent.map((s) => [body(s).type, s.status])).toEqual([
      ['client.created', 200],
      ['invoice.paid', 200],
    ]);
    expect(spool(up.state).map((s) => s.state)).toEqual(['sent', 'sent']);
  });

  it('once the plugin is back, the next AfterCronJob sends everything waiting at once, backoff or not, in order', async () => {
    const state = await activated({ pluginUrl: 'http://127.0.0.1:9' });
    state.api.clients['44'] = { id: 44, firstname: 'Di', lastname: 'Ray', email: 'di@example.com', currency_code: 'EUR', status: 'Active' };
    state.tables.tblclients = [...(state.tables.tblclients ?? []), { id: 44, datecreated: ago(1) }];
    state.api.invoices['4404'] = { ...(state.api.invoices['1001'] as object), userid: 44, invoicenum: '' };
    // Each hook (its own request) found the plugin down and spooled its event with a backoff.
    const first = await runWhmcs(state, [{ hook: 'ClientAdd', vars: { client_id: 44 } }]);
    const down = await runWhmcs(first.state, [{ hook: 'InvoicePaid', vars: { invoiceid: 4404 } }]);
    expect([...first.sent, ...down.sent].map((s) => s.status)).toEqual([0, 0]);
    // A cron run while it is still down tries the oldest once, and nothing more (the plugin doesn't answer).
    const later = await runWhmcs(down.state, [{ hook: 'AfterCronJob' }]);
    expect(later.sent.map((s) => [body(s).type, s.status])).toEqual([['client.created', 0]]);
    const rows = spool(later.state);
    expect(rows.map((s) => [s.state, s.attempts])).toEqual([
      ['pending', 2],
      ['pending', 1],
    ]);
    for (const row of rows) expect(row.next_attempt_at > whmcsDate(new Date())).toBe(true);

    // The plugin is back: one cron run tries the oldest although its backoff hasn't passed, and then sends the rest.
    const up = await runWhmcs(later.state, [{ set: { settings: { plugin_url: app.baseUrl } } }, { hook: 'AfterCronJob' }]);
    expect(up.sent.map((s) => [body(s).type, answer(s).outcome])).toEqual([
      ['client.created', 'applied'],
      ['invoice.paid', 'applied'],
    ]);
    expect(spool(up.state).map((s) => s.state)).toEqual(['sent', 'sent']);
    expect(up.activity.join('\n')).toMatch(/spool flushed, 2 sent, 0 failed, 0 waiting/);
  });

  it('the cron stops sending early at the first event that fails again; a later run goes on from it, in order', async () => {
    const state = await activated({ pluginUrl: 'http://127.0.0.1:9' });
    state.api.clients['46'] = { id: 46, firstname: 'Ed', lastname: 'Fox', email: 'ed@example.com', currency_code: 'EUR', status: 'Active' };
    state.tables.tblclients = [...(state.tables.tblclients ?? []), { id: 46, datecreated: ago(1) }];
    state.api.invoices['4606'] = { ...(state.api.invoices['1001'] as object), userid: 46, invoicenum: '' };
    state.api.invoices['4607'] = { ...(state.api.invoices['1001'] as object), userid: 46, invoicenum: '', datepaid: ago(8) };
    let down = await runWhmcs(state, [{ hook: 'ClientAdd', vars: { client_id: 46 } }]);
    down = await runWhmcs(down.state, [{ hook: 'InvoicePaid', vars: { invoiceid: 4606 } }]);
    down = await runWhmcs(down.state, [{ hook: 'InvoicePaid', vars: { invoiceid: 4607 } }]);
    expect(spool(down.state).map((s) => s.state)).toEqual(['pending', 'pending', 'pending']);

    // Back, but the plugin answers 503 for the second (its database failing over, say): the third isn't tried early.
    const cron = await runWhmcs(down.state, [{ set: { settings: { plugin_url: app.baseUrl } } }, { hook: 'AfterCronJob' }], { answers: { 'whmcs:invoice:4606:': 503 } });
    expect(cron.sent.map((s) => [body(s).type, body(s).invoice?.id, s.status])).toEqual([
      ['client.created', undefined, 200],
      ['invoice.paid', '4606', 503],
    ]);
    expect(spool(cron.state).map((s) => s.state)).toEqual(['sent', 'pending', 'pending']);
    expect(cron.activity.join('\n')).toMatch(/spool flushed, 1 sent, 0 failed, 2 waiting/);

    const next = await runWhmcs(cron.state, [{ hook: 'AfterCronJob' }]);
    expect(next.sent.map((s) => [body(s).invoice?.id, answer(s).outcome])).toEqual([
      ['4606', 'applied'],
      ['4607', 'applied'],
    ]);
    expect(spool(next.state).map((s) => s.state)).toEqual(['sent', 'sent', 'sent']);
  });

  it('a refund while the paid event still waits in the spool waits behind it; the cron sends both in order', async () => {
    const state = await activated({ pluginUrl: 'http://127.0.0.1:9' });
    state.api.clients['45'] = { id: 45, firstname: 'Cy', lastname: 'Ng', email: 'cy@example.com', currency_code: 'EUR', status: 'Active' };
    state.api.invoices['4004'] = { ...(state.api.invoices['1001'] as object), userid: 45, invoicenum: '' };
    const down = await runWhmcs(state, [{ hook: 'InvoicePaid', vars: { invoiceid: 4004 } }]);
    down.state.tables.tblaccounts = [{ id: 950, userid: 45, invoiceid: 4004, amountin: '0.00', amountout: '15.00', refundid: 949, date: ago(1) }];
    // The plugin is back before the cron ran: the refund must not overtake the payment.
    const refund = await runWhmcs(down.state, [{ set: { settings: { plugin_url: app.baseUrl } } }, { hook: 'AddTransaction', vars: { id: 950, invoiceid: 4004, refundid: 949, amountout: 15 } }]);
    expect(refund.sent).toEqual([]);
    expect(spool(refund.state).map((s) => [s.event_type, s.state])).toEqual([
      ['invoice.paid', 'pending'],
      ['invoice.refunded', 'pending'],
    ]);
    for (const row of spool(refund.state)) row.next_attempt_at = whmcsDate(new Date(Date.now() - 60_000));
    const cron = await runWhmcs(refund.state, [{ hook: 'AfterCronJob' }]);
    expect(cron.sent.map((s) => [body(s).type, answer(s).outcome])).toEqual([
      ['invoice.paid', 'applied'],
      ['invoice.refunded', 'applied'],
    ]);
  });

  it('an event the plugin refuses for good (422) is marked failed and logged, not retried; a wrong secret (401) waits for the fix', async () => {
    const state = await activated();
    // An amount over the contract's limit: the plugin refuses the event itself.
    state.api.invoices['4646'] = { ...(state.api.invoices['1001'] as object), subtotal: '2000000000.00', credit: '0.00' };
    const bad = await runWhmcs(state, [{ hook: 'InvoicePaid', vars: { invoiceid: 4646 } }]);
    expect(bad.sent.map((s) => s.status)).toEqual([422]);
    expect(spool(bad.state).map((s) => s.state)).toEqual(['failed']);
    expect(bad.activity.join('\n')).toMatch(/refused, not retried: HTTP 422.*invoice\.total/);
    const cron = await runWhmcs(bad.state, [{ hook: 'AfterCronJob' }]);
    expect(cron.sent).toEqual([]);

    const wrong = await runWhmcs(await activated(), [
      { set: { settings: { webhook_secret: `whsec_${Buffer.from('another-secret-0123456789abcdef').toString('base64')}` } } },
      { hook: 'ClientAdd', vars: { client_id: 42 } },
    ]);
    expect(wrong.sent.map((s) => s.status)).toEqual([401]);
    expect(spool(wrong.state).map((s) => [s.state, s.attempts])).toEqual([['pending', 1]]);
  });

  it('a client edited back to an earlier state is a new event each time, not an old one again', async () => {
    let state = await activated();
    const sent: SentDelivery[] = [];
    for (const status of ['Active', 'Inactive', 'Active', 'Active']) {
      state.api.clients['42'] = { ...(state.api.clients['42'] as object), status };
      const r = await runWhmcs(state, [{ hook: 'ClientEdit', vars: { userid: 42 } }]);
      sent.push(...r.sent);
      state = r.state;
    }
    expect(sent.map((s) => [body(s).client.status, answer(s).outcome])).toEqual([
      ['active', 'applied'],
      ['inactive', 'applied'],
      ['active', 'applied'],
      ['active', 'duplicate'],
    ]);
    expect((await app.plugin.db.repos.members.findByPanelClientId('42'))?.status).toBe('active');
  });

  it("leaves out an email or a currency code the contract doesn't take, instead of losing the client's events", async () => {
    const state = await activated();
    state.api.clients['47'] = { id: 47, firstname: 'Eve', email: 'a&b@example.com', currency_code: 'EUR', status: 'Active' };
    state.api.clients['48'] = { id: 48, firstname: 'Fay', email: 'fay@example.com', currency_code: 'RMB', status: 'Active' };
    state.api.invoices['4747'] = { ...(state.api.invoices['1001'] as object), userid: 47 };
    state.api.invoices['4848'] = { ...(state.api.invoices['1001'] as object), userid: 48 };
    state.tables.tblclients = [...(state.tables.tblclients ?? []), { id: 47, datecreated: ago(5) }, { id: 48, datecreated: ago(5) }];
    const r = await runWhmcs(state, [
      { hook: 'InvoicePaid', vars: { invoiceid: 4747 } },
      { hook: 'ClientAdd', vars: { client_id: 48 } },
      { hook: 'InvoicePaid', vars: { invoiceid: 4848 } },
    ]);
    expect(r.sent.map((s) => [body(s).type, body(s).client, s.status])).toEqual([
      ['invoice.paid', expect.not.objectContaining({ email: expect.anything() }), 200],
      ['client.created', expect.not.objectContaining({ currency: expect.anything() }), 200],
    ]);
    expect(r.activity.join('\n')).toMatch(/invoice 4848 not sent: client 48 has no ISO 4217 currency code/);
  });

  it('an amount WHMCS gives in a form it never writes is not sent as 0: the invoice is logged and left out', async () => {
    const state = await activated();
    state.api.invoices['5005'] = { ...(state.api.invoices['1001'] as object), subtotal: '1,234.56' };
    const r = await runWhmcs(state, [{ hook: 'InvoicePaid', vars: { invoiceid: 5005 } }]);
    expect(r.sent).toEqual([]);
    expect(r.activity.join('\n')).toMatch(/amount "1,234\.56" is not a decimal/);
  });

  it('a plugin that does not answer is tried once a request: the other events wait in the spool', async () => {
    const state = await activated({ pluginUrl: 'http://127.0.0.1:9' });
    const r = await runWhmcs(state, [
      { hook: 'InvoicePaid', vars: { invoiceid: 1001 } },
      { hook: 'InvoicePaid', vars: { invoiceid: 2002 } },
      { hook: 'AfterCronJob' },
    ]);
    expect(r.sent).toHaveLength(1);
    expect(spool(r.state).map((s) => s.state)).toEqual(['pending', 'pending']);
  });

  it('a sent event whose hook fires again stays sent, whatever the plugin answers then', async () => {
    const first = await runWhmcs(await activated(), [{ hook: 'InvoicePaid', vars: { invoiceid: 1001 } }]);
    expect(spool(first.state).map((s) => s.state)).toEqual(['sent']);
    // Three weeks later (past the give-up age), the plugin down.
    for (const row of spool(first.state)) row.created_at = ago(21 * 24 * 60);
    const again = await runWhmcs(first.state, [{ set: { settings: { plugin_url: 'http://127.0.0.1:9' } } }, { hook: 'InvoicePaid', vars: { invoiceid: 1001 } }]);
    expect(again.sent).toHaveLength(1);
    expect(spool(again.state).map((s) => s.state)).toEqual(['sent']);
  });

  it('a hook whose WHMCS data is missing logs and sends nothing', async () => {
    const r = await runWhmcs(await activated(), [{ hook: 'InvoicePaid', vars: { invoiceid: 999 } }]);
    expect(r.sent).toEqual([]);
    expect(r.activity.join('\n')).toMatch(/GetInvoice failed: Invoice ID Not Found/);
  });
});

describe('WHMCS Rewards tab and admin link', () => {
  it('adds Rewards to the navbar of a signed-in client only', async () => {
    const state = await activated();
    const guest = await runWhmcs(state, [{ hook: 'ClientAreaPrimaryNavbar' }]);
    expect(guest.results[0]).toEqual([]);
    const client = await runWhmcs(state, [{ hook: 'ClientAreaPrimaryNavbar' }], { session: { uid: 42, Language: 'turkish' } });
    expect(client.results[0]).toEqual({ Rewards: { label: 'Ödüller', uri: 'index.php?m=hosting_rewards', order: 70 } });
  });

  it('the client page sends the client on with a fresh token the plugin accepts (top-level link by default)', async () => {
    const state = await activated();
    const r = await runWhmcs(state, [{ call: 'clientarea' }, { call: 'clientarea', get: { go: '1' } }], { session: { uid: 42 } });
    const [page, go] = r.results as Array<{ page: { vars: Record<string, unknown>; templatefile: string }; redirect: string | null }>;
    expect(page?.page.vars).toMatchObject({ mode: 'link', rewards_url: null, go_url: 'index.php?m=hosting_rewards&go=1' });
    expect(page?.redirect).toBeNull();
    const url = new URL(go?.redirect as string);
    expect(`${url.origin}${url.pathname}`).toBe(`${app.baseUrl}/sso`);
    const res = await app.http.get(`/sso${url.search}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/\/client\/rewards/);
    const claims = JSON.parse(Buffer.from((url.searchParams.get('token') as string).split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: '42', aud: 'hosting-rewards', locale: 'ru' });
    // Single use: the same link again is refused.
    expect((await app.http.get(`/sso${url.search}`)).status).toBe(401);
  });

  it('iframe mode frames the tab with a token made for the view', async () => {
    const r = await runWhmcs(await activated({ tabMode: 'iframe' }), [{ call: 'clientarea' }], { session: { uid: 42 } });
    const { page } = r.results[0] as { page: { vars: { rewards_url: string; mode: string } } };
    expect(page.vars.mode).toBe('iframe');
    expect((await app.http.get(page.vars.rewards_url.slice(app.baseUrl.length))).status).toBe(303);
  });

  it('an unconfigured addon shows a message, not a broken link', async () => {
    const r = await runWhmcs(fixture(), [{ set: { settings: { sso_secret: 'short' } } }, { call: 'clientarea', get: { go: '1' } }], { session: { uid: 42 } });
    const { page, redirect } = r.results[1] as { page: { vars: { error: string } }; redirect: string | null };
    expect(redirect).toBeNull();
    expect(page.vars.error).toMatch(/not available/);
  });

  it("the admin page checks that the plugin answers at its URL (/healthz), and shows the tier discount mode to match the plugin's", async () => {
    const activate = await runWhmcs(fixture(), [{ call: 'activate' }]);
    expect((activate.results[0] as { description: string }).description).toMatch(/open Addons > Hosting Rewards: it checks that the plugin answers at that URL/);
    const up = await runWhmcs(activate.state, [{ call: 'output' }], { session: { adminid: 1 } });
    const html = (up.results[0] as { html: string }).html;
    expect(html).toContain('alert-success');
    expect(html).toContain(`GET ${app.baseUrl}/healthz: 200 ok`);
    expect(html).toMatch(/Tier discount mode:<\/strong> <code>client_tier<\/code> &middot; must be the same as the plugin&#039;s tier_discount_method/);

    const down = await runWhmcs(activate.state, [{ set: { settings: { plugin_url: 'http://127.0.0.1:9' } } }, { call: 'output' }], { session: { adminid: 1 } });
    const downHtml = (down.results[1] as { html: string }).html;
    expect(downHtml).toContain('alert-danger');
    expect(downHtml).toContain('GET http://127.0.0.1:9/healthz: no answer');
    // A URL that answers, but not as the plugin does.
    const wrong = await runWhmcs(activate.state, [{ set: { settings: { plugin_url: `${app.baseUrl}/nowhere` } } }, { call: 'output' }], { session: { adminid: 1 } });
    expect((wrong.results[1] as { html: string }).html).toMatch(/alert-danger.*HTTP 404/s);
  });

  it('the admin page links into the admin area with a token for this admin, the role mapped from WHMCS', async () => {
    const key = new TextEncoder().encode(TEST_SECRETS.sso);
    const tokenOf = (html: string) => {
      const m = /window\.location\.replace\("([^"]+)"\)/.exec(html);
      const url = new URL((m?.[1] ?? '').replace(/\\\//g, '/'));
      expect(`${url.origin}${url.pathname}`).toBe(`${app.baseUrl}/admin/sso`);
      return url.searchParams.get('token') as string;
    };
    const state = await activated();
    const owner = await runWhmcs(state, [{ call: 'output', vars: { modulelink: 'addonmodules.php?module=hosting_rewards' } }, { call: 'output', get: { go: '1' } }], { session: { adminid: 1 } });
    expect((owner.results[0] as { html: string }).html).toContain('addonmodules.php?module=hosting_rewards&amp;go=1');
    const ownerToken = tokenOf((owner.results[1] as { html: string }).html);
    const { payload } = await jwtVerify(ownerToken, key, { audience: 'hosting-rewards-admin', algorithms: ['HS256'] });
    expect(payload).toMatchObject({ admin: '1', name: 'Ada Admin', role: 'owner' });
    // The plugin's own admin sign-in takes it, once: the owner lands in the admin area.
    const browser = request.agent(app.baseUrl);
    await browser.get(`/admin/sso?token=${encodeURIComponent(ownerToken)}`).expect(303);
    expect((await browser.get('/admin/settings')).status).toBe(200);
    expect((await request(app.baseUrl).get(`/admin/sso?token=${encodeURIComponent(ownerToken)}`)).status).toBe(401);
    expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(300);
    const viewer = await runWhmcs(state, [{ call: 'output', get: { go: '1' } }], { session: { adminid: 2 } });
    const v = await jwtVerify(tokenOf((viewer.results[0] as { html: string }).html), key, { audience: 'hosting-rewards-admin' });
    expect(v.payload).toMatchObject({ admin: '2', role: 'viewer' });
    const viewerBrowser = request.agent(app.baseUrl);
    await viewerBrowser.get(`/admin/sso?token=${encodeURIComponent(tokenOf((viewer.results[0] as { html: string }).html))}`).expect(303);
    expect((await viewerBrowser.get('/admin/members')).status).toBe(200);
    expect((await viewerBrowser.get('/admin/settings')).status).toBe(403);
  });
});
