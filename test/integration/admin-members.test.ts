import { randomBytes } from 'node:crypto';
import { adminAgent, auditRows, csrfOf, fieldOf, type AdminAgent } from '../support/admin';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';
import { TestPanel } from '../support/test-panel';

const key = () => randomBytes(12).toString('base64url');

describe('admin: members, adjustments and account credit', () => {
  let app: TestApp;
  let billing: AdminAgent;
  let viewer: AdminAgent;
  const panel = new TestPanel();

  const member = (clientId: string) => app.plugin.db.repos.members.findByPanelClientId(clientId);
  const earn = async (clientId: string, total: string, client: Record<string, unknown> = {}) => {
    await app.send(invoicePaid({ client: { id: clientId, ...client }, invoice: { id: `inv-${key()}`, total, items: [{ type: 'renewal', amount: total }] } })).expect(200);
    const m = await member(clientId);
    if (!m) throw new Error('no member');
    return m;
  };
  const counts = async () => {
    const n = async (t: string) => Number((await app.plugin.db.knex(t).count({ n: '*' }).first())?.n ?? 0);
    return { ledger: await n('loyalty_ledger'), audit: await n('loyalty_audit'), outbox: await n('loyalty_outbox'), lots: await n('loyalty_lots') };
  };
  /** The adjustment form of a member's page, filled in and posted as a browser would. */
  const adjustForm = async (agent: AdminAgent, id: number) => {
    const page = (await agent.get(`/admin/members/${id}`).expect(200)).text;
    return { csrf: csrfOf(page), key: fieldOf(page.slice(page.indexOf('data-testid="adjust-form"')), 'key'), creditKey: fieldOf(page.slice(page.indexOf('data-testid="credit-form"')), 'key') };
  };

  beforeAll(async () => {
    app = await startTestApp({ panelApi: panel });
    billing = await adminAgent(app, 'billing', { id: '11', name: 'Bill Ing' });
    viewer = await adminAgent(app, 'viewer');
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  it('searches within emails and names, or by exact panel client id, newest first, with a keyset pager', async () => {
    await earn('s-1', '10.00', { email: 'zed.one@example.com', name: 'Zed One' });
    await earn('s-2', '10.00', { email: 'zed.two@example.com', name: 'Zed Two' });
    await earn('s-3', '10.00', { email: 'other@example.com', name: 'Quinn 100%_off' });
    const byEmail = (await viewer.get('/admin/members?q=ZED.').expect(200)).text;
    expect(byEmail).toContain('Zed One');
    expect(byEmail).toContain('Zed Two');
    expect(byEmail).not.toContain('Quinn');
    expect(byEmail.indexOf('Zed Two')).toBeLessThan(byEmail.indexOf('Zed One'));
    expect((await viewer.get('/admin/members?q=s-3').expect(200)).text).toContain('Quinn');
    // A surname or a domain finds them too; a panel client id only whole.
    const bySurname = (await viewer.get('/admin/members?q=two').expect(200)).text;
    expect(bySurname).toContain('Zed Two');
    expect(bySurname).not.toContain('Zed One');
    expect((await viewer.get('/admin/members?q=%40example.com').expect(200)).text).toContain('Quinn');
    expect((await viewer.get('/admin/members?q=s-').expect(200)).text).not.toContain('Quinn');
    // LIKE's wildcards are matched literally.
    const percent = (await viewer.get('/admin/members?q=%25').expect(200)).text;
    expect(percent).toContain('Quinn');
    expect(percent).not.toContain('Zed One');
    expect((await viewer.get('/admin/members?q=_x').expect(200)).text).toContain('data-testid="members-empty"');
    expect((await viewer.get('/admin/members?q=Quinn%20100%25_').expect(200)).text).toContain('Quinn');
    // Pages follow ids, not offsets.
    const first = await app.plugin.db.knex('loyalty_members').max({ id: 'id' }).first();
    const older = (await viewer.get(`/admin/members?before=${Number(first?.id)}`).expect(200)).text;
    expect(older).not.toContain('Quinn');
    expect((await viewer.get('/admin/members?before=abc')).status).toBe(400);
  });

  it("shows a member's balances, lots with expiry, ledger, and no write forms to a viewer", async () => {
    const m = await earn('d-1', '300.00', { name: 'Dee Tail' });
    const page = (await viewer.get(`/admin/members/${m.id}`).expect(200)).text;
    expect(page).toContain('Dee Tail');
    expect(page).toContain('data-testid="lots"');
    expect(page).toContain('data-testid="ledger"');
    expect(page).not.toContain('data-testid="adjust-form"');
    expect(page).not.toContain('data-testid="credit-form"');
    expect((await viewer.get('/admin/members/999999')).status).toBe(404);
    expect((await viewer.get('/admin/members/nope')).status).toBe(404);
  });

  it("pages a member's ledger by id", async () => {
    const m = await earn('pg-1', '10.00');
    const ctx = { admin: { id: '11', name: 'Bill Ing', role: 'billing' as const }, origin: { ip: null, requestId: null } };
    for (let i = 0; i < 30; i++) {
      await app.plugin.services.adminMembers.adjust(ctx, m.id, { key: `pager-key-${String(i).padStart(8, '0')}`, direction: 'add', points: '1', reason: `step ${i}`, allowDebt: false });
    }
    const first = (await viewer.get(`/admin/members/${m.id}`).expect(200)).text;
    expect(first.match(/data-testid="ledger-row"/g)).toHaveLength(25);
    // Handlebars writes `=` in attributes as `&#x3D;`; a browser reads it back.
    const href = /href="([^"]*)" data-testid="ledger-older"/.exec(first)?.[1]?.replace(/&#x3D;/g, '=');
    expect(href).toMatch(/\?ledger_before=\d+$/);
    const second = (await viewer.get(href ?? '').expect(200)).text;
    expect(second.match(/data-testid="ledger-row"/g)).toHaveLength(6);
    expect(second).toContain('step 0');
    expect(first).not.toContain('>step 0<');
  });

  it('adds points as an adjust entry with the admin as actor, once for a form posted twice, with an audit row', async () => {
    const m = await earn('a-1', '100.00');
    const form = await adjustForm(billing, m.id);
    const post = () => billing.post(`/admin/members/${m.id}/adjust`).type('form').send({ _csrf: form.csrf, key: form.key, direction: 'add', points: '250', reason: 'goodwill for the outage' });
    const [one, two] = await Promise.all([post(), post()]);
    expect([one.status, two.status]).toEqual([303, 303]);
    expect(await member('a-1')).toMatchObject({ pointsAvailable: m.pointsAvailable + 250 });
    const entries = await app.plugin.db.knex('loyalty_ledger').where({ member_id: m.id, kind: 'adjust' });
    expect(entries).toHaveLength(1);
    expect({ ...entries[0], delta: Number(entries[0].delta) }).toMatchObject({ delta: 250, actor: 'admin:11', reason_code: 'admin_adjustment' });
    const audit = (await auditRows(app)).filter((r) => r.action === 'member.adjust' && r.target === `member:${m.id}`);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: '11', actor_name: 'Bill Ing', role: 'billing' });
    expect(JSON.parse(String(audit[0]?.after))).toMatchObject({ delta: 250, reason: 'goodwill for the outage', available: m.pointsAvailable + 250 });
    const page = (await billing.get(`/admin/members/${m.id}?notice=adjusted`).expect(200)).text;
    expect(page).toContain('goodwill for the outage');
    expect((await billing.get('/admin/audit?action=member.adjust').expect(200)).text).toContain(`member:${m.id}`);
  });

  it('refuses removing more than the balance unless "allow debt" is ticked; nothing is written by a refusal', async () => {
    const m = await earn('a-2', '50.00');
    const balance = m.pointsAvailable + m.pointsPending;
    const form = await adjustForm(billing, m.id);
    const before = await counts();
    const refused = await billing.post(`/admin/members/${m.id}/adjust`).type('form').send({ _csrf: form.csrf, key: form.key, direction: 'remove', points: String(balance + 10), reason: 'fraud' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('data-testid="error-points"');
    expect(await counts()).toEqual(before);
    // The same key, now with debt allowed, goes through: a refusal used nothing up.
    const allowed = await billing.post(`/admin/members/${m.id}/adjust`).type('form').send({ _csrf: form.csrf, key: form.key, direction: 'remove', points: String(balance + 10), reason: 'fraud', allow_debt: '1' });
    expect(allowed.status).toBe(303);
    expect(await member('a-2')).toMatchObject({ pointsAvailable: -10, pointsPending: 0 });
  });

  it('parallel removals never take more than the balance without "allow debt" (each its own form)', async () => {
    const m = await earn('a-par', '100.00');
    const balance = m.pointsAvailable + m.pointsPending;
    const forms = await Promise.all(Array.from({ length: 5 }, () => adjustForm(billing, m.id)));
    const results = await Promise.all(
      forms.map((f) => billing.post(`/admin/members/${m.id}/adjust`).type('form').send({ _csrf: f.csrf, key: f.key, direction: 'remove', points: String(Math.floor(balance / 2) - 5), reason: 'parallel' })),
    );
    expect(results.filter((r) => r.status === 303)).toHaveLength(2);
    expect(results.filter((r) => r.status === 422)).toHaveLength(3);
    expect((await member('a-par'))?.pointsAvailable).toBeGreaterThanOrEqual(0);
    expect((await auditRows(app)).filter((r) => r.action === 'member.adjust' && r.target === `member:${m.id}`)).toHaveLength(2);
  });

  it('filters the audit log by admin, action, target and day, and pages by id', async () => {
    const m = await earn('au-1', '10.00');
    const form = await adjustForm(billing, m.id);
    await billing.post(`/admin/members/${m.id}/adjust`).type('form').send({ _csrf: form.csrf, key: form.key, direction: 'add', points: '3', reason: 'audit filter' }).expect(303);
    const target = `member:${m.id}`;
    expect((await viewer.get(`/admin/audit?target=${target}`).expect(200)).text).toContain('audit filter');
    expect((await viewer.get(`/admin/audit?actor=11&action=member.adjust&target=${target}`).expect(200)).text).toContain('audit filter');
    expect((await viewer.get(`/admin/audit?actor=someone-else&target=${target}`).expect(200)).text).toContain('data-testid="audit-empty"');
    const day = app.clock.now().toISOString().slice(0, 10);
    expect((await viewer.get(`/admin/audit?from=${day}&to=${day}&target=${target}`).expect(200)).text).toContain('audit filter');
    expect((await viewer.get(`/admin/audit?to=2020-01-01&target=${target}`).expect(200)).text).toContain('data-testid="audit-empty"');
    // The last day the database stores is a day like any other, on MariaDB too (the day after it is no DATETIME).
    expect((await viewer.get(`/admin/audit?from=1970-01-01&to=9999-12-31&target=${target}`).expect(200)).text).toContain('audit filter');
    for (const outside of ['1969-12-31', '0000-01-01']) expect((await viewer.get(`/admin/audit?from=${outside}`)).status).toBe(400);
    const bad = await viewer.get('/admin/audit?from=31-12-2026&before=-1');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('from');
    // The admin's own sentence, not the client tab's "history filter".
    expect(bad.text).toContain('This filter is not valid. Correct it and search again.');
    // A page of 50: the pager continues below the last id shown.
    const total = Number((await app.plugin.db.knex('loyalty_audit').count({ n: '*' }).first())?.n);
    const first = (await viewer.get('/admin/audit').expect(200)).text;
    expect(first.includes('data-testid="next-page"')).toBe(total > 50);
  });

  it.each([
    ['points', { points: '0' }],
    ['points', { points: '1.5' }],
    ['points', { points: '-3' }],
    ['points', { points: '100000001' }],
    ['reason', { reason: '   ' }],
    ['reason', { reason: 'x'.repeat(501) }],
    ['direction', { direction: 'double' }],
  ])('refuses a bad %s naming the field, writing nothing', async (name, bad) => {
    const m = await earn(`a-bad-${key()}`, '10.00');
    const form = await adjustForm(billing, m.id);
    const before = await counts();
    const res = await billing.post(`/admin/members/${m.id}/adjust`).type('form').send({ _csrf: form.csrf, key: form.key, direction: 'add', points: '5', reason: 'ok', ...bad });
    expect(res.status).toBe(422);
    expect(res.text).toContain(name === 'direction' ? 'field-error' : `data-testid="error-${name}"`);
    expect(await counts()).toEqual(before);
  });

  it('refuses a post without the form token (CSRF), or from a viewer (403), writing nothing', async () => {
    const m = await earn('a-3', '10.00');
    const form = await adjustForm(billing, m.id);
    const before = await counts();
    expect((await billing.post(`/admin/members/${m.id}/adjust`).type('form').send({ key: form.key, direction: 'add', points: '5', reason: 'x' })).status).toBe(403);
    expect((await billing.post(`/admin/members/${m.id}/adjust`).type('form').send({ _csrf: 'forged', key: form.key, direction: 'add', points: '5', reason: 'x' })).status).toBe(403);
    // A viewer is refused for the role, before any form check.
    const asViewer = await viewer.post(`/admin/members/${m.id}/adjust`).type('form').send({ _csrf: form.csrf, key: form.key, direction: 'add', points: '5', reason: 'x' });
    expect(asViewer.status).toBe(403);
    expect(asViewer.text).toContain('The viewer role may not do this.');
    expect(await counts()).toEqual(before);
  });

  it('applies account credit through the outbox with an idempotency key, once for a double post, and the page shows its state', async () => {
    const m = await earn('c-1', '10.00');
    const form = await adjustForm(billing, m.id);
    const post = () => billing.post(`/admin/members/${m.id}/credit`).type('form').send({ _csrf: form.csrf, key: form.creditKey, amount: '12.50', currency: 'usd', reason: 'Sorry for the outage' });
    const [one, two] = await Promise.all([post(), post()]);
    expect([one.status, two.status]).toEqual([303, 303]);
    const rows = await app.plugin.db.knex('loyalty_outbox').where({ idempotency_key: `admin-credit:${form.creditKey}` });
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0].payload)).toEqual({ clientId: 'c-1', amount: { currency: 'USD', minor: 1250 }, description: 'Sorry for the outage' });
    expect((await auditRows(app)).filter((r) => r.action === 'member.credit' && r.target === `member:${m.id}`)).toHaveLength(1);
    let page = (await billing.get(`/admin/members/${m.id}`).expect(200)).text;
    expect(page).toMatch(/data-testid="panel-action" data-state="pending" data-action="client.credit"/);
    await app.plugin.jobs.dispatchOutbox();
    expect(panel.applied.filter((c) => c.idempotencyKey === `admin-credit:${form.creditKey}`)).toHaveLength(1);
    page = (await billing.get(`/admin/members/${m.id}`).expect(200)).text;
    expect(page).toMatch(/data-testid="panel-action" data-state="sent" data-action="client.credit"/);
    // Points never move for credit.
    expect(await member('c-1')).toMatchObject({ pointsAvailable: m.pointsAvailable });
  });

  it.each([
    ['amount', { amount: '0' }],
    ['amount', { amount: '12.345' }],
    ['amount', { amount: '-5' }],
    ['amount', { amount: '1e3' }],
    ['amount', { amount: '5', currency: 'JPY', amountJpy: '1.5' }],
    ['currency', { currency: 'XXX' }],
    ['currency', { currency: 'dollars' }],
    ['currency', { currency: 'EUR' }],
    ['credit-reason', { reason: '' }],
    ['credit-reason', { reason: 'y'.repeat(201) }],
  ])('credit: refuses a bad %s naming the field, writing nothing', async (name, bad) => {
    const m = await earn(`c-bad-${key()}`, '10.00');
    const form = await adjustForm(billing, m.id);
    const before = await counts();
    const body: Record<string, string> = { _csrf: form.csrf, key: form.creditKey, amount: '5.00', currency: 'USD', reason: 'ok', ...bad };
    if (body.amountJpy) body.amount = body.amountJpy;
    const res = await billing.post(`/admin/members/${m.id}/credit`).type('form').send(body);
    expect(res.status).toBe(422);
    expect(res.text).toContain(`data-testid="error-${name}"`);
    expect(await counts()).toEqual(before);
  });

  it('escapes script in a member name and in a reason on every admin page', async () => {
    const evil = '<script>alert(1)</script>';
    const m = await earn('x-1', '40.00', { name: evil, email: 'evil@example.com' });
    const form = await adjustForm(billing, m.id);
    await billing.post(`/admin/members/${m.id}/adjust`).type('form').send({ _csrf: form.csrf, key: form.key, direction: 'add', points: '5', reason: evil }).expect(303);
    await billing.post(`/admin/members/${m.id}/credit`).type('form').send({ _csrf: form.csrf, key: form.creditKey, amount: '1.00', currency: 'USD', reason: evil }).expect(303);
    for (const path of ['/admin/members?q=evil', `/admin/members/${m.id}`, '/admin/audit', '/admin/redemptions']) {
      const html = (await billing.get(path).expect(200)).text;
      expect(html).not.toContain('<script>alert(1)</script>');
    }
    expect((await billing.get(`/admin/members/${m.id}`)).text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect((await billing.get('/admin/audit')).text).toContain('&lt;script&gt;');
  });
});
