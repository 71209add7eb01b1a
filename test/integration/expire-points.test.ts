import { MemberAccount } from '../../plugin/services/member-account';
import { expectBalancesConsistent, startTestApp, type TestApp } from '../support/harness';

const DAY = 86_400_000;
let n = 0;

/** expire-points (issue 8): lots past expires_at leave the balance as one `expire` entry per member. */
describe('expire-points job', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const now = () => app.clock.now();
  const at = (offsetMs: number) => new Date(now().getTime() + offsetMs);
  /** Each test runs its own period, so "a finished period never runs again" doesn't hide work. */
  const expire = () => app.plugin.jobs.run('expire-points', { period: `test-${++n}` });

  /** A member with lots earned straight through MemberAccount, so their dates are exact. */
  async function memberWith(lots: Array<{ points: number; expiresAt: Date | null; pendingUntil?: Date }>): Promise<number> {
    const clientId = `exp-${++n}`;
    return app.plugin.db.transaction(async (tx) => {
      const account = await MemberAccount.enrol(tx, { id: clientId });
      for (const lot of lots) {
        await account.credit({
          kind: 'earn',
          points: lot.points,
          reasonCode: 'test',
          earnedAt: tx.now,
          availableAt: lot.pendingUntil ?? tx.now,
          expiresAt: lot.expiresAt,
        });
      }
      return account.member.id;
    });
  }

  async function spend(memberId: number, points: number): Promise<void> {
    await app.plugin.db.transaction(async (tx) => {
      const account = await MemberAccount.lock(tx, { id: memberId });
      await account?.debit({ kind: 'adjust', points, reasonCode: 'test', reducesLifetime: false, debtPolicy: 'debt' });
    });
  }

  const balances = async (id: number) => {
    const m = await app.plugin.db.repos.members.findById(id);
    return { available: m?.pointsAvailable, pending: m?.pointsPending, lifetime: m?.pointsLifetime };
  };
  const expireEntries = async (id: number) =>
    (await app.plugin.db.repos.ledger.pageForMember(id, { limit: 50 })).entries
      .filter((e) => e.kind === 'expire')
      .map((e) => ({ delta: e.delta, reasonCode: e.reasonCode, reasonParams: e.reasonParams }));
  const remaining = async (id: number) =>
    (await app.plugin.db.knex('loyalty_lots').where({ member_id: id }).orderBy('id').select('remaining')).map((r: { remaining: unknown }) => Number(r.remaining));

  it('expires a lot exactly at its expires_at, and not one a millisecond later', async () => {
    const id = await memberWith([
      { points: 100, expiresAt: at(0) },
      { points: 40, expiresAt: at(1) },
      { points: 7, expiresAt: null },
    ]);
    const outcome = await expire();
    expect(outcome).toMatchObject({ status: 'done' });
    expect(await balances(id)).toEqual({ available: 47, pending: 0, lifetime: 147 });
    expect(await expireEntries(id)).toEqual([{ delta: -100, reasonCode: 'points_expired', reasonParams: { points: 100, lots: 1 } }]);
    expect(await remaining(id)).toEqual([0, 40, 7]);
  });

  it('one entry per member for all their due lots; partly spent lots expire what is left', async () => {
    const id = await memberWith([
      { points: 100, expiresAt: at(-3 * DAY) },
      { points: 50, expiresAt: at(-DAY) },
      { points: 30, expiresAt: at(30 * DAY) },
    ]);
    await spend(id, 120); // soonest expiry first: the 100 lot, then 20 of the 50 lot
    expect(await remaining(id)).toEqual([0, 30, 30]);
    await expire();
    expect(await balances(id)).toMatchObject({ available: 30, pending: 0 });
    expect(await expireEntries(id)).toEqual([{ delta: -30, reasonCode: 'points_expired', reasonParams: { points: 30, lots: 1 } }]);
    expect(await remaining(id)).toEqual([0, 0, 30]);
  });

  it('a member in debt: expiry never makes the debt larger', async () => {
    const id = await memberWith([{ points: 50, expiresAt: at(-DAY) }]);
    await spend(id, 80); // 30 in debt
    expect(await balances(id)).toMatchObject({ available: -30 });
    await expire();
    expect(await balances(id)).toMatchObject({ available: -30 });
    expect(await expireEntries(id)).toEqual([]);
  });

  it('never takes more than the available balance, even from lots the balance does not cover', async () => {
    // Inconsistent data on purpose: a lot claims points the cached balance no longer has.
    const id = await memberWith([{ points: 50, expiresAt: at(-DAY) }]);
    await spend(id, 80);
    await app.plugin.db.knex('loyalty_lots').where({ member_id: id }).update({ remaining: 20 });
    await expire();
    expect(await balances(id)).toMatchObject({ available: -30 });
    expect(await remaining(id)).toEqual([0]);
    const deltas = (await app.plugin.db.repos.ledger.pageForMember(id, { limit: 10 })).entries.filter((e) => e.kind === 'expire').map((e) => e.delta);
    expect(deltas).toEqual([0]);
  });

  it('pending lots never expire before they are released', async () => {
    const id = await memberWith([
      { points: 60, expiresAt: at(-DAY), pendingUntil: at(DAY) },
      { points: 10, expiresAt: at(-DAY) },
    ]);
    await expire();
    expect(await balances(id)).toEqual({ available: 0, pending: 60, lifetime: 70 });
    expect(await remaining(id)).toEqual([60, 0]);
    app.clock.advance(DAY);
    try {
      await app.plugin.jobs.releasePending();
      expect(await balances(id)).toMatchObject({ available: 60, pending: 0 });
      await expire();
      expect(await balances(id)).toMatchObject({ available: 0, pending: 0 });
      expect((await expireEntries(id)).map((e) => e.delta).sort()).toEqual([-10, -60]);
    } finally {
      app.clock.advance(-DAY);
    }
  });

  it('a second run of the same period changes nothing; a new period finds nothing left', async () => {
    const id = await memberWith([{ points: 25, expiresAt: at(-DAY) }]);
    const period = `twice-${++n}`;
    const first = await app.plugin.jobs.run('expire-points', { period });
    expect(first).toMatchObject({ status: 'done', counts: expect.objectContaining({ points: expect.any(Number) }) });
    const ledgerRows = await app.plugin.db.knex('loyalty_ledger').count({ n: '*' }).first();
    expect(await app.plugin.jobs.run('expire-points', { period })).toMatchObject({ status: 'skipped', reason: 'already_done' });
    expect(await expire()).toMatchObject({ status: 'done', counts: { members: 0, points: 0, lots: 0 } });
    expect(await app.plugin.db.knex('loyalty_ledger').count({ n: '*' }).first()).toEqual(ledgerRows);
    expect(await expireEntries(id)).toHaveLength(1);
  });

  it('walks many members in batches, each expired once, and the run records its counts', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push(await memberWith([{ points: 5 + i, expiresAt: at(-i * 1000) }, { points: 1, expiresAt: at(-DAY) }]));
    const period = `batch-${++n}`;
    const outcome = await app.plugin.jobs.run('expire-points', { period });
    expect(outcome).toMatchObject({ status: 'done', counts: { members: 12, lots: 24 } });
    for (const id of ids) expect(await expireEntries(id)).toHaveLength(1);
    const run = await app.plugin.db.repos.jobs.findRun('expire-points', period);
    expect(run).toMatchObject({ state: 'done', counts: { members: 12, lots: 24 }, error: null });
    expect(run?.marker).toEqual(expect.any(String));
  });

  it('--dry-run reports what would expire and writes nothing', async () => {
    const id = await memberWith([{ points: 33, expiresAt: at(-DAY) }, { points: 2, expiresAt: at(-2 * DAY) }]);
    const before = await app.plugin.db.knex('loyalty_ledger').count({ n: '*' }).first();
    const period = `dry-${++n}`;
    const outcome = await app.plugin.jobs.run('expire-points', { period, dryRun: true });
    expect(outcome).toMatchObject({ status: 'done', counts: { members: 1, points: 35, lots: 2 } });
    expect(await balances(id)).toMatchObject({ available: 35 });
    expect(await app.plugin.db.knex('loyalty_ledger').count({ n: '*' }).first()).toEqual(before);
    expect(await app.plugin.db.repos.jobs.findRun('expire-points', period)).toBeNull();
  });
});
