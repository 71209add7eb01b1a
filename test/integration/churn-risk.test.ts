import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, invoicePaid, serviceEvent, startTestApp, type TestApp } from '../support/harness';

const DAY = 86_400_000;
let n = 0;

/** churn-risk (issue 8, job 7): flags with reasons, cleared when the signals go, a JSON export. */
describe('churn-risk job', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const churn = () => app.plugin.jobs.run('churn-risk', { period: `test-${++n}` });
  const flags = async () => Object.fromEntries((await app.plugin.services.churn.export()).map((f) => [f.panel_client_id, f.reasons.map((r) => r.code)]));
  const iso = (offsetMs: number) => new Date(app.clock.now().getTime() + offsetMs).toISOString();

  it('flags each signal with its reasons, and clears a flag when its signal goes', async () => {
    // Paid 100 days ago and not since.
    await app.send(invoicePaid({ client: { id: 'ch-quiet' }, occurred_at: iso(-100 * DAY) })).expect(200);
    // Paid recently: no flag.
    await app.send(invoicePaid({ client: { id: 'ch-fine' }, occurred_at: iso(-2 * DAY) })).expect(200);
    // A suspended service, and a cancelled and a downgraded one.
    await app.send(serviceEvent('service.suspended', 'ch-susp', { id: 'S' }, { occurred_at: iso(-DAY) })).expect(200);
    await app.send(serviceEvent('service.cancelled', 'ch-gone', { id: 'C' }, { occurred_at: iso(-DAY) })).expect(200);
    await app.send(serviceEvent('service.upgraded', 'ch-down', { id: 'D', previous_amount: '50.00', amount: '10.00' }, { occurred_at: iso(-DAY) })).expect(200);

    const result = await churn();
    expect(result).toMatchObject({ status: 'done', counts: { flagged: 4 } });
    expect(await flags()).toEqual({
      'ch-quiet': ['no_recent_payment'],
      'ch-susp': ['service_suspended'],
      'ch-gone': ['service_cancelled'],
      'ch-down': ['service_downgraded'],
    });
    const quiet = (await app.plugin.services.churn.export()).find((f) => f.panel_client_id === 'ch-quiet');
    expect(quiet?.reasons).toEqual([{ code: 'no_recent_payment', last_paid_at: iso(-100 * DAY), days: 100 }]);

    // The signals go: a payment, an unsuspend.
    await app.send(invoicePaid({ client: { id: 'ch-quiet' }, occurred_at: iso(-60_000) })).expect(200);
    await app.send(serviceEvent('service.unsuspended', 'ch-susp', { id: 'S' }, { occurred_at: iso(-60_000) })).expect(200);
    const second = await churn();
    expect(second).toMatchObject({ status: 'done', counts: { cleared: 2 } });
    expect(Object.keys(await flags()).sort()).toEqual(['ch-down', 'ch-gone']);
  });

  it('flags qualifying spend down sharply between the two windows', async () => {
    const now = app.clock.now();
    const month = (back: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 15));
    const seed = async (clientId: string, spend: Array<[number, number]>) =>
      app.plugin.db.transaction(async (tx) => {
        const account = await MemberAccount.enrol(tx, { id: clientId });
        for (const [back, minor] of spend) await tx.repos.tiers.addSpend(account.member.id, month(back).toISOString().slice(0, 7), minor);
        // A recent payment, so only the spend signal can flag them.
        await tx.repos.invoices.insert(account.member.id, `${clientId}-inv`, { currency: 'USD', totalMinor: 100, paidAt: tx.now }, tx.now);
      });
    await seed('ch-drop', [[1, 1000], [2, 1000], [3, 1000], [4, 10000], [5, 10000], [6, 10000]]);
    await seed('ch-steady', [[1, 9000], [2, 9000], [3, 9000], [4, 10000], [5, 10000], [6, 10000]]);
    await churn();
    const all = await app.plugin.services.churn.export();
    expect(all.find((f) => f.panel_client_id === 'ch-drop')?.reasons).toEqual([{ code: 'spend_down', recent_minor: 3000, previous_minor: 30000, percent: 90 }]);
    expect(all.find((f) => f.panel_client_id === 'ch-steady')).toBeUndefined();
  });

  it('a dry run writes nothing; a run of a finished period changes nothing', async () => {
    await app.send(serviceEvent('service.suspended', 'ch-dry', { id: 'S' }, { occurred_at: iso(-DAY) })).expect(200);
    const before = await app.plugin.db.knex('loyalty_churn_flags').count({ n: '*' }).first();
    const dry = await app.plugin.jobs.run('churn-risk', { period: `test-${++n}`, dryRun: true });
    expect(dry.counts).toMatchObject({ flagged: expect.any(Number) });
    expect(await app.plugin.db.knex('loyalty_churn_flags').count({ n: '*' }).first()).toEqual(before);
    const period = `test-${++n}`;
    await app.plugin.jobs.run('churn-risk', { period });
    expect(await app.plugin.jobs.run('churn-risk', { period })).toMatchObject({ status: 'skipped', reason: 'already_done' });
  });
});
