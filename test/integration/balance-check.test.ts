import { invoicePaid, startTestApp, type TestApp } from '../support/harness';

/** The invariant check must itself be able to fail, or every "balances consistent" is hollow. */
describe('MemberRepository.findBalanceMismatches', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    await app.send(invoicePaid({ client: { id: 'bc-1' } })).expect(200);
    await app.send(invoicePaid({ client: { id: 'bc-2' } })).expect(200);
  });
  afterAll(() => app.close());

  const repo = () => app.plugin.db.repos.members;
  const knex = () => app.plugin.db.knex;

  it('is empty for consistent members', async () => {
    expect(await repo().findBalanceMismatches()).toEqual([]);
  });

  it('reports a cached balance that drifted from the ledger', async () => {
    const m = (await repo().findByPanelClientId('bc-1'))!;
    await knex()('loyalty_members').where({ id: m.id }).increment('points_available', 1);
    try {
      expect(await repo().findBalanceMismatches()).toEqual([
        { memberId: m.id, panelClientId: 'bc-1', cached: 121, ledgerSum: 120, lotsSum: 120, pendingCached: 0, pendingLots: 0 },
      ]);
    } finally {
      await knex()('loyalty_members').where({ id: m.id }).decrement('points_available', 1);
    }
  });

  it('reports lots that disagree with the ledger', async () => {
    const m = (await repo().findByPanelClientId('bc-2'))!;
    await knex()('loyalty_lots').where({ member_id: m.id }).decrement('remaining', 20);
    try {
      expect(await repo().findBalanceMismatches()).toEqual([
        { memberId: m.id, panelClientId: 'bc-2', cached: 120, ledgerSum: 120, lotsSum: 100, pendingCached: 0, pendingLots: 0 },
      ]);
    } finally {
      await knex()('loyalty_lots').where({ member_id: m.id }).increment('remaining', 20);
    }
  });
});
