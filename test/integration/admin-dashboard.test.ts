import { randomBytes } from 'node:crypto';
import { DemoPanelApi } from '../../plugin/panels/demo/demo-panel-api';
import { adminAgent, csrfOf } from '../support/admin';
import { expectBalancesConsistent, invoicePaid, startTestApp, TestClock, type TestApp } from '../support/harness';

/** The dashboard's figures against a known history, for every role; months in the program time zone. */
describe('admin: dashboard', () => {
  let app: TestApp;
  const clock = new TestClock(new Date('2026-11-10T12:00:00Z'));

  beforeAll(async () => {
    app = await startTestApp({ clock, panelApi: new DemoPanelApi(), program: { refund_window_days: 0, time_zone: 'Europe/Berlin', earn_rates: { USD: '1', EUR: '1', GBP: '1', JPY: '1' } } });
    const earn = (id: string, total: string, currency = 'USD') =>
      app.send(invoicePaid({ occurred_at: clock.current.toISOString(), client: { id, currency, name: id === 'x' ? '<script>x</script>' : `Member ${id}` }, invoice: { id: `inv-${randomBytes(6).toString('hex')}`, currency, total, paid_from_credit: '0', items: [{ type: 'renewal', amount: total }] } })).expect(200);
    // Last month (October in Berlin): 250 points.
    clock.current = new Date('2026-10-20T12:00:00Z');
    await earn('a', '250.00');
    // This month: 700 + 300 + 80 points, one redemption of 500.
    clock.current = new Date('2026-11-10T12:00:00Z');
    await earn('b', '700.00');
    await earn('x', '300.00', 'EUR');
    await earn('c', '80', 'JPY');
    const reward = (await app.plugin.db.repos.rewards.list()).find((r) => r.costPoints === 500);
    const redeemed = await app.plugin.services.redemptions.redeem('b', { rewardId: reward?.id ?? 0, idempotencyKey: randomBytes(12).toString('base64url') });
    expect(redeemed.ok).toBe(true);
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('shows members, liability per currency at the credit rate, months, redemptions, tiers, panel actions and recent activity', async () => {
    const viewer = await adminAgent(app, 'viewer');
    const page = (await viewer.get('/admin').expect(200)).text;
    expect(page).toContain('data-testid="members-count">4<');
    // USD: a 250 + b 200 (700 earned, 500 redeemed) = 450 points at 1 cent a point (both credit rewards) → $4.50.
    expect(page).toMatch(/<tr data-currency="USD"><th scope="row">USD<\/th><td>2<\/td><td>450<\/td><td>0<\/td><td>0<\/td><td>450<\/td><td>\$4\.50 <span class="muted">\(500 points &#x3D; \$5\.00\)<\/span><\/td><\/tr>/);
    expect(page).toMatch(/<tr data-currency="EUR">.*<td>€3\.00 /);
    // JPY pays no credit reward: no rate, not zero.
    expect(page).toMatch(/<tr data-currency="JPY">.*No credit rate<\/td><\/tr>/);
    expect(page).toMatch(/<tr data-row="earned"><th scope="row">Earned<\/th><td>1,080<\/td><td>250<\/td><\/tr>/);
    expect(page).toMatch(/<tr data-row="redeemed"><th scope="row">Redeemed<\/th><td>500<\/td><td>0<\/td><\/tr>/);
    expect(page).toMatch(/<tr data-state="pending"><th scope="row">Pending<\/th><td>1<\/td><\/tr>/);
    expect(page).toMatch(/<tr data-state="pending"><td><code>client\.credit<\/code><\/td><td>Waiting<\/td><td>1<\/td><\/tr>/);
    // Charts are server-rendered SVG with a title and description; labels escaped.
    expect(page).toMatch(/<svg [^>]*role="img"[^>]*aria-labelledby="tiers-title tiers-desc"/);
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;x&lt;/script&gt;');
  });

  it('counts months in the program time zone: 23:30 UTC on 31 October is November in Berlin', async () => {
    clock.current = new Date('2026-10-31T23:30:00Z');
    await app.send(invoicePaid({ occurred_at: clock.current.toISOString(), client: { id: 'late' }, invoice: { id: 'inv-late', total: '10.00', items: [{ type: 'renewal', amount: '10.00' }] } })).expect(200);
    clock.current = new Date('2026-11-10T12:00:00Z');
    const owner = await adminAgent(app, 'owner');
    const page = (await owner.get('/admin').expect(200)).text;
    expect(page).toMatch(/<tr data-row="earned"><th scope="row">Earned<\/th><td>1,090<\/td><td>250<\/td><\/tr>/);
  });

  it('says when a 410 Gone paused panel actions; billing resumes them, with an audit row; a viewer only reads', async () => {
    const status = await app.plugin.services.panelEndpoint.status();
    if (!status.configured) throw new Error('the test app has a panel');
    await app.plugin.db.repos.panelEndpoints.pause(status.endpoint, status.panel, '410 Gone: endpoint retired', clock.now());
    const viewer = await adminAgent(app, 'viewer');
    const seen = (await viewer.get('/admin').expect(200)).text;
    expect(seen).toContain('data-testid="panel-paused"');
    expect(seen).toContain(`The panel endpoint ${status.endpoint} answered 410 Gone`);
    expect(seen).not.toContain('data-testid="panel-resume"');

    const billing = await adminAgent(app, 'billing');
    const page = (await billing.get('/admin').expect(200)).text;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    await billing.post('/admin/panel/resume').type('form').send({ _csrf: csrf }).expect(303);
    expect(await app.plugin.services.panelEndpoint.status()).toMatchObject({ paused: false });
    const after = (await billing.get('/admin?notice=resumed').expect(200)).text;
    expect(after).not.toContain('data-testid="panel-paused"');
    expect(after).toContain('Panel actions are sending again');
    const audit = await app.plugin.db.knex('loyalty_audit').where({ action: 'panel.resume' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ target: status.endpoint });
    // Resuming what isn't paused changes nothing and records nothing.
    await billing.post('/admin/panel/resume').type('form').send({ _csrf: csrf }).expect(303);
    expect(await app.plugin.db.knex('loyalty_audit').where({ action: 'panel.resume' })).toHaveLength(1);
  });

  it('counts as redeemed only what was not given back: a cancelled redemption is not', async () => {
    const billing = await adminAgent(app, 'billing');
    await app.send(invoicePaid({ occurred_at: clock.current.toISOString(), client: { id: 'nx' }, invoice: { id: 'inv-nx', total: '600.00', paid_from_credit: '0', items: [{ type: 'renewal', amount: '600.00' }] } })).expect(200);
    const reward = (await app.plugin.db.repos.rewards.list()).find((r) => r.costPoints === 500);
    const r = await app.plugin.services.redemptions.redeem('nx', { rewardId: reward?.id ?? 0, idempotencyKey: randomBytes(12).toString('base64url') });
    if (!r.ok) throw new Error(r.refusal);
    const list = (await billing.get('/admin/redemptions').expect(200)).text;
    await billing.post(`/admin/redemptions/${r.redemption.id}/cancel`).type('form').send({ _csrf: csrfOf(list) }).expect(303);
    const page = (await billing.get('/admin').expect(200)).text;
    expect(page).toMatch(/<tr data-row="redeemed"><th scope="row">Redeemed<\/th><td>500<\/td><td>0<\/td><\/tr>/);
    expect(await app.plugin.db.repos.statements.summary((await app.plugin.db.repos.members.findByPanelClientId('nx'))?.id ?? 0, new Date('2026-11-01T00:00:00Z'), new Date('2026-12-01T00:00:00Z'))).toEqual({
      earned: 600,
      spent: 0,
      expired: 0,
    });
  });
});
