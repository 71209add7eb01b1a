import type { PanelCapabilities } from '../../plugin/domain/panel-actions';
import type { PanelActionCall, PanelApi, PanelResult } from '../../plugin/panels/panel-api';
import { SESSION_COOKIE } from '../../plugin/web/session';
import { invoicePaid, type TestApp } from '../support/harness';
import { clusterNodes, createClusterDatabase, expectSameOnEveryNode, nodeKnex, sleep, startInstance } from './cluster';

/** The panel both instances send their actions to: what it was asked to do, by key. */
class RecordingPanel implements PanelApi {
  readonly name = 'recording';
  readonly capabilities: PanelCapabilities = { invoiceDiscount: true, clientTier: true, credit: true, email: false, promoCode: false };
  readonly calls: PanelActionCall[] = [];
  async perform(call: PanelActionCall): Promise<PanelResult> {
    this.calls.push(call);
    // A panel API takes a while: long enough for the other instance to try the same action.
    await sleep(20);
    return { reference: `CR-${this.calls.length}` };
  }
}

const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0] ?? '');

// A cluster on a shared 2-core machine: a node's restart or a storm can take minutes.
jest.setTimeout(300_000);

/** Redemptions through both instances at once (DESIGN §5, invariants 3 and 6), as browsers would post them. */
describe('redemptions across two instances on a 3-node Galera cluster', () => {
  let db: Awaited<ReturnType<typeof createClusterDatabase>>;
  let a: TestApp;
  let b: TestApp;
  const panel = new RecordingPanel();
  const [node1, node2] = clusterNodes();

  beforeAll(async () => {
    db = await createClusterDatabase();
    a = await startInstance(db.on(node1), { panelApi: panel });
    b = await startInstance(db.on(node2), { panelApi: panel });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await db?.drop();
  });

  it('100 parallel redemptions split across both instances against a balance that covers 10: exactly 10 succeed, with one panel action each', async () => {
    const clientId = 'g-race';
    await a.send(invoicePaid({ client: { id: clientId }, invoice: { id: 'G-RACE-1', total: '1000.00', items: [{ type: 'renewal', amount: '1000.00' }] } })).expect(200);
    const rewardId = (await a.plugin.db.repos.rewards.list()).find((r) => r.stepPoints === 100)?.id ?? 0;

    // Signed in through A; the session cookie is signed, so B accepts it as it is: no sticky sessions.
    const token = await a.plugin.services.auth.mintSsoToken(clientId);
    const sso = await fetch(`${a.baseUrl}/sso?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
    expect(sso.status).toBe(303);
    const session = cookiesOf(sso).filter((c) => c.startsWith(`${SESSION_COOKIE}=`));
    expect(session).toHaveLength(1);
    // The single-use token is spent for the whole cluster: B refuses it.
    const replay = await fetch(`${b.baseUrl}/sso?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
    expect(replay.status).toBe(401);

    /** Opens the confirmation page on one instance; its form is posted to the other. */
    const open = async (app: TestApp) => {
      const page = await fetch(`${app.baseUrl}/client/rewards/redeem/${rewardId}`, { headers: { cookie: session.join('; ') } });
      expect(page.status).toBe(200);
      const html = await page.text();
      const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? '';
      return { csrf: field('_csrf'), key: field('key'), jar: [...session, ...cookiesOf(page)] };
    };
    const forms = await Promise.all(Array.from({ length: 100 }, (_, n) => open(n % 2 === 0 ? a : b)));
    const post = (app: TestApp, form: Awaited<ReturnType<typeof open>>) =>
      fetch(`${app.baseUrl}/client/rewards/redeem/${rewardId}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: form.jar.join('; '), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: form.csrf, key: form.key, points: '100' }).toString(),
      });
    let answers = await Promise.all(forms.map((form, n) => post(n % 2 === 0 ? b : a, form)));
    // A conflict that outlasted every retry answers 503; the browser posts the same form again.
    for (let round = 0; answers.some((r) => r.status === 503); round++) {
      if (round > 20) throw new Error('redemptions still answer 503 after 20 rounds');
      await sleep(200);
      answers = await Promise.all(answers.map((r, n) => (r.status === 503 ? post(n % 2 === 0 ? b : a, forms[n] as Awaited<ReturnType<typeof open>>) : r)));
    }
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 303)).toHaveLength(10);
    expect(statuses.filter((s) => s === 422)).toHaveLength(90);
    const redemptions = new Set(answers.filter((r) => r.status === 303).map((r) => r.headers.get('location')));
    expect(redemptions.size).toBe(10);
    expect(answers.filter((r) => r.status === 303).map((r) => r.headers.get('location')).every((l) => /\/client\/redemptions\/\d+$/.test(String(l)))).toBe(true);

    // Both instances dispatch the outbox at the same time, twice: each action reaches the panel once.
    for (let round = 0; round < 2; round++) await Promise.all([a.plugin.jobs.dispatchOutbox(), b.plugin.jobs.dispatchOutbox()]);
    const credits = panel.calls.filter((c) => c.action === 'client.credit');
    expect(credits).toHaveLength(10);
    expect(new Set(credits.map((c) => c.idempotencyKey)).size).toBe(10);

    const snapshot = await expectSameOnEveryNode(db.name);
    expect(snapshot.balances[clientId]).toBe(0);
    for (const node of clusterNodes()) {
      const k = nodeKnex(node, db.name);
      try {
        const rows = await k('loyalty_redemptions').select('state');
        expect(rows.map((r: { state: string }) => r.state)).toEqual(Array(10).fill('applied'));
        const actions = await k('loyalty_outbox').where({ action: 'client.credit' }).select('state');
        expect(actions.map((r: { state: string }) => r.state)).toEqual(Array(10).fill('sent'));
      } finally {
        await k.destroy();
      }
    }
  });
});
