import { withKey } from '../../plugin/panels/panel-api';
import { MemberAccount } from '../../plugin/services/member-account';
import type { PanelActionCall, PanelApi, PanelResult } from '../../plugin/panels/panel-api';
import { WhmcsApiClient } from '../../plugin/panels/whmcs/whmcs-api-client';
import { parseTierGroups, WhmcsPanelApi } from '../../plugin/panels/whmcs/whmcs-panel-api';
import { FakeWhmcs } from '../support/fake-whmcs';
import { expectBalancesConsistent, startTestApp, TEST_SECRETS, TestClock, type TestApp } from '../support/harness';
import { addonSettings, runWhmcs, whmcsDate, type WhmcsState } from '../support/whmcs-php';

/**
 * End to end on WHMCS: the addon (real PHP) reports a paid invoice → points → the client
 * redeems them → the outbox → the WHMCS adapter → a fake WHMCS API that records exactly one
 * AddCredit, also when the dispatcher dies between WHMCS applying the credit and the outbox
 * marking it sent, and when WHMCS's answer is lost on the way back; and an expiry warning
 * through SendEmail that reaches the member once in the same two cases.
 */

/** Lets a test stop the dispatcher for good right after the panel acted: a crash, as far as the row can tell. */
class CrashAfterPanel implements PanelApi {
  readonly name: string;
  readonly capabilities: PanelApi['capabilities'];
  crashNext = false;
  constructor(private readonly inner: PanelApi) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
  }
  async perform(call: PanelActionCall): Promise<PanelResult> {
    const result = await this.inner.perform(call);
    if (this.crashNext) {
      this.crashNext = false;
      // The process is gone: this run never reaches "mark sent", its lease just runs out.
      return new Promise<PanelResult>(() => undefined);
    }
    return result;
  }
}

let fake: FakeWhmcs;
let app: TestApp;
let panel: CrashAfterPanel;

beforeAll(async () => {
  fake = await new FakeWhmcs().start();
  const api = new WhmcsPanelApi(new WhmcsApiClient({ url: fake.url, ...fake.credentials, timeoutMs: 2000 }), { tierGroups: parseTierGroups('Silver=2') });
  panel = new CrashAfterPanel(api);
  // The plugin's clock starts at the real time (PHP signs with it) and is moved by the test.
  app = await startTestApp({ clock: new TestClock(new Date()), panelApi: panel });
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

/** WHMCS as the addon sees it: client `id` (USD) with a paid renewal invoice of 1200.00. */
function whmcs(clientId: number, invoiceId: number): WhmcsState {
  const paid = whmcsDate(new Date(Date.now() - 60_000));
  return {
    tables: {
      tbladdonmodules: addonSettings({ plugin_url: app.baseUrl, webhook_secret: TEST_SECRETS.webhook, sso_secret: TEST_SECRETS.sso }),
      tblhosting: [{ id: 500 + clientId, userid: clientId, packageid: 1, billingcycle: 'Annually', amount: '1200.00' }],
      tblproducts: [{ id: 1, gid: 1 }],
      tblproductgroups: [{ id: 1, name: 'VPS' }],
    },
    api: {
      clients: { [clientId]: { id: clientId, firstname: 'Ann', lastname: 'Lee', email: `c${clientId}@example.com`, language: 'english', currency_code: 'USD', status: 'Active' } },
      invoices: {
        [invoiceId]: {
          userid: clientId, date: paid, datepaid: paid, status: 'Paid', subtotal: '1200.00', tax: '0.00', credit: '0.00', total: '1200.00',
          items: [{ id: 1, type: 'Hosting', relid: 500 + clientId, description: 'VPS (annual)', amount: '1200.00', taxed: 0 }],
        },
      },
    },
  };
}

async function paidAndRedeemed(clientId: number, invoiceId: number, key: string) {
  fake.addClient(clientId, 'USD');
  const state = (await runWhmcs(whmcs(clientId, invoiceId), [{ call: 'activate' }])).state;
  const run = await runWhmcs(state, [{ hook: 'InvoicePaid', vars: { invoiceid: invoiceId } }]);
  expect(run.sent.map((s) => s.status)).toEqual([200]);
  expect(JSON.parse(run.sent[0]?.answer ?? '{}')).toMatchObject({ outcome: 'applied', points: 1200 });
  const reward = (await app.plugin.db.repos.rewards.list()).find((r) => r.costPoints === 500);
  const result = await app.plugin.services.redemptions.redeem(String(clientId), { rewardId: reward?.id ?? 0, idempotencyKey: key });
  expect(result).toMatchObject({ ok: true, redemption: { points: 500, value: { currency: 'USD', minor: 500 }, state: 'pending' } });
}

const redemption = async (key: string) => (await app.plugin.db.knex('loyalty_redemptions').where({ idempotency_key: key }).first()) as { state: string };
const creditsOf = (clientId: number) => fake.clients.get(String(clientId))?.credits ?? [];

it('a paid WHMCS invoice → points → a redemption → exactly one AddCredit', async () => {
  await paidAndRedeemed(42, 1001, 'e2e-plain-0123456789');
  expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 1 });
  expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 0 });
  expect(creditsOf(42)).toEqual([expect.objectContaining({ amount: '5.00', description: expect.stringContaining('[ref ') })]);
  expect(fake.calls.filter((c) => c.action === 'AddCredit' && c.params.clientid === '42')).toHaveLength(1);
  expect((await redemption('e2e-plain-0123456789')).state).toBe('applied');
  await expectBalancesConsistent(app.plugin);
});

it('the dispatcher dies after WHMCS added the credit and before marking it sent: the retry finds it in GetCredits and adds nothing', async () => {
  await paidAndRedeemed(43, 1002, 'e2e-crash-0123456789');
  panel.crashNext = true;
  // Never settles: the crashed run. Its claim holds the row until the lease ends.
  void app.plugin.jobs.dispatchOutbox();
  await waitFor(() => creditsOf(43).length === 1);
  expect((await redemption('e2e-crash-0123456789')).state).toBe('pending');
  app.clock.advance(10 * 60_000);
  expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 1 });
  expect(creditsOf(43)).toHaveLength(1);
  expect(fake.calls.filter((c) => c.action === 'AddCredit' && c.params.clientid === '43')).toHaveLength(1);
  // Looked up before each attempt: the first one and the retry.
  expect(fake.calls.filter((c) => c.action === 'GetCredits' && c.params.clientid === '43')).toHaveLength(2);
  expect((await redemption('e2e-crash-0123456789')).state).toBe('applied');
  await expectBalancesConsistent(app.plugin);
});

it("WHMCS's answer to AddCredit is lost: the action is retried, the credit found, and added once", async () => {
  await paidAndRedeemed(44, 1003, 'e2e-lost-01234567890');
  fake.fail('AddCredit', { kind: 'drop-after-apply' });
  expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 0, retried: 1 });
  app.clock.advance(10 * 60_000);
  expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 1 });
  const credits = creditsOf(44);
  expect(credits).toHaveLength(1);
  expect(credits[0]?.description).toMatch(/\[ref [0-9a-f]{10}\]$/);
  expect(credits[0]?.description).toBe(withKey(credits[0]?.description.replace(/ \[ref [0-9a-f]{10}\]$/, '') ?? '', 'redemption:e2e-lost-01234567890'));
  expect((await redemption('e2e-lost-01234567890')).state).toBe('applied');
  await expectBalancesConsistent(app.plugin);
});

/** A member of WHMCS client `clientId` with points expiring in five days, and the expiry warning queued for them. */
async function warningQueued(clientId: number): Promise<string> {
  fake.addClient(clientId, 'USD');
  await app.plugin.services.program.update({ email_channel: 'panel' });
  const memberId = await app.plugin.db.transaction(async (tx) => {
    const account = await MemberAccount.enrol(tx, { id: String(clientId), email: `c${clientId}@example.com`, name: 'Ann Lee' });
    await account.credit({ kind: 'earn', points: 40, reasonCode: 'test', earnedAt: tx.now, availableAt: tx.now, expiresAt: new Date(tx.now.getTime() + 5 * 86_400_000) });
    return account.member.id;
  });
  expect(await app.plugin.jobs.run('expiry-warnings', { period: `e2e-${clientId}` })).toMatchObject({ status: 'done', counts: { emails: 1 } });
  const row = await app.plugin.db.knex('loyalty_outbox').where({ action: 'client.email' }).andWhere('idempotency_key', 'like', `email:expiry-warning:${memberId}:%`).first();
  return String(row.idempotency_key);
}
const emailsTo = (clientId: number) => fake.clients.get(String(clientId))?.emails ?? [];
const callsFor = (action: string, clientId: number) => fake.calls.filter((c) => c.action === action && (c.params.id ?? c.params.clientid) === String(clientId));

it("WHMCS's answer to SendEmail is lost: the retry finds the warning in the client's email log, and the member gets it once", async () => {
  const key = await warningQueued(45);
  fake.fail('SendEmail', { kind: 'drop-after-apply' });
  expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 0, retried: 1 });
  expect(emailsTo(45)).toHaveLength(1);
  app.clock.advance(10 * 60_000);
  expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 1 });
  expect(callsFor('SendEmail', 45)).toHaveLength(1);
  expect(emailsTo(45)).toHaveLength(1);
  // Looked up only on the retry: a first attempt sends straight away.
  expect(callsFor('GetEmails', 45)).toHaveLength(1);
  expect(await app.plugin.db.knex('loyalty_outbox').where({ idempotency_key: key }).first()).toMatchObject({ state: 'sent', panel_reference: `email:${emailsTo(45)[0]?.id}` });
});

it('the dispatcher dies after WHMCS sent an email and before marking it sent: the next claim finds it and sends nothing', async () => {
  const key = await warningQueued(46);
  panel.crashNext = true;
  void app.plugin.jobs.dispatchOutbox();
  await waitFor(() => emailsTo(46).length === 1);
  app.clock.advance(10 * 60_000);
  expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 1 });
  expect(callsFor('SendEmail', 46)).toHaveLength(1);
  expect(emailsTo(46)).toHaveLength(1);
  expect(await app.plugin.db.knex('loyalty_outbox').where({ idempotency_key: key }).first()).toMatchObject({ state: 'sent' });
});

it("a WHMCS whose email log drops our reference can't be checked: the retry fails for good, and an admin's retry sends it", async () => {
  const key = await warningQueued(47);
  fake.stripsComments = true;
  try {
    fake.fail('SendEmail', { kind: 'drop-after-apply' });
    expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ retried: 1 });
    app.clock.advance(10 * 60_000);
    expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 0, failed: 1 });
    const failed = await app.plugin.db.knex('loyalty_outbox').where({ idempotency_key: key }).first();
    expect(failed).toMatchObject({ state: 'failed', last_error: expect.stringContaining("can't be told") });
    expect(callsFor('SendEmail', 47)).toHaveLength(1);
    // The admin finds nothing in the client's Emails tab (say) and retries it.
    expect(await app.plugin.jobs.retryFailedActions([Number(failed.id)])).toBe(1);
    expect(await app.plugin.jobs.dispatchOutbox()).toMatchObject({ sent: 1 });
    expect(callsFor('SendEmail', 47)).toHaveLength(2);
  } finally {
    fake.stripsComments = false;
  }
});

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
