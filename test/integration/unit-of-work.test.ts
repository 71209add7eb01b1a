import SqliteDatabase from 'better-sqlite3';
import type { DomainEvents } from '../../plugin/domain/domain-events';
import { MemberAccount } from '../../plugin/services/member-account';
import { clientEvent, expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';

/** The unit of work: Tx, afterCommit, and the locked MemberAccount as the only balance writer. */
describe('unit of work', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  const member = (clientId: string) => app.plugin.db.repos.members.findByPanelClientId(clientId);
  const enrolled = async (clientId: string) => {
    await app.send(clientEvent('client.created', clientId)).expect(200);
    const m = await member(clientId);
    if (!m) throw new Error(`${clientId} was not enrolled`);
    return m;
  };
  /** The inbox row as a separate connection sees it right now. */
  const inboxRowSeenElsewhere = (eventId: string): unknown => {
    if (app.db.dialect === 'mysql') return app.plugin.db.repos.events.find('test', eventId);
    const other = new SqliteDatabase(app.db.url.slice('sqlite:'.length), { readonly: true });
    try {
      const row = other.prepare('select outcome, points from loyalty_events where source = ? and external_id = ?').get('test', eventId);
      return row ?? null;
    } finally {
      other.close();
    }
  };
  const listen = <K extends keyof DomainEvents>(name: K) => {
    const seen: Array<DomainEvents[K]> = [];
    const off = app.plugin.bus.on(name, (payload) => seen.push(payload));
    return { seen, off };
  };

  describe('afterCommit', () => {
    it('publishes queued events after the commit, once', async () => {
      const { seen, off } = listen('billing-event.processed');
      // What another connection sees at the moment the subscriber is called: before the commit
      // it would not see the inbox row yet. On SQLite the look is synchronous, so exact.
      const reads: unknown[] = [];
      const offRead = app.plugin.bus.on('billing-event.processed', (e) => reads.push(inboxRowSeenElsewhere(e.eventId)));
      try {
        const event = invoicePaid({ client: { id: 'uow-1' } });
        await app.send(event).expect(200);
        await app.send(event).expect(200); // a redelivery publishes nothing
        expect(seen).toEqual([expect.objectContaining({ eventId: event.id, outcome: 'applied', points: 120, panelClientId: 'uow-1' })]);
        expect(await Promise.all(reads)).toEqual([expect.objectContaining({ outcome: 'applied', points: 120 })]);
      } finally {
        off();
        offRead();
      }
    });

    it('drops the events of an attempt that is retried, and publishes those of the attempt that commits', async () => {
      const { seen, off } = listen('member.enrolled');
      let attempts = 0;
      try {
        const result = await app.plugin.db.transaction(async (tx) => {
          attempts++;
          tx.afterCommit('member.enrolled', { memberId: attempts, panelClientId: `attempt-${attempts}` });
          // A deadlock as MariaDB reports it: the whole unit of work runs again.
          if (attempts === 1) throw Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213 });
          return 'committed';
        });
        expect(result).toBe('committed');
        expect(attempts).toBe(2);
        expect(seen).toEqual([{ memberId: 2, panelClientId: 'attempt-2' }]);
      } finally {
        off();
      }
    });

    it('publishes nothing when the transaction rolls back', async () => {
      const { seen, off } = listen('member.enrolled');
      try {
        await expect(
          app.plugin.db.transaction(async (tx) => {
            tx.afterCommit('member.enrolled', { memberId: 1, panelClientId: 'never' });
            throw new Error('refused');
          }),
        ).rejects.toThrow('refused');
        expect(seen).toEqual([]);
      } finally {
        off();
      }
    });

    it('a failing subscriber does not fail what already committed', async () => {
      const off = app.plugin.bus.on('billing-event.processed', () => {
        throw new Error('subscriber bug');
      });
      try {
        const res = await app.send(invoicePaid({ client: { id: 'uow-sub' } })).expect(200);
        expect(res.body).toMatchObject({ outcome: 'applied', points: 120 });
        expect((await member('uow-sub'))?.pointsAvailable).toBe(120);
      } finally {
        off();
      }
    });
  });

  describe('MemberAccount', () => {
    it('writes with no billing event and its own actor, and always holds the current member', async () => {
      const m = await enrolled('uow-admin');
      const after = await app.plugin.db.transaction(
        async (tx) => {
          const account = await MemberAccount.lock(tx, { id: m.id });
          if (!account) throw new Error('no account');
          const now = tx.now;
          await account.credit({ points: 70, kind: 'bonus', reasonCode: 'test_grant', earnedAt: now, availableAt: now, expiresAt: null });
          await account.debit({ points: 20, kind: 'adjust', reasonCode: 'test_spend', reducesLifetime: false, debtPolicy: 'debt' });
          // A second lock in the same transaction is the same account, not a stale copy.
          expect(await MemberAccount.lock(tx, { panelClientId: 'uow-admin' })).toBe(account);
          expect(await MemberAccount.lock(tx, { id: m.id })).toBe(account);
          return { ...account.member };
        },
        { actor: { kind: 'admin', adminId: '7', role: 'billing' } },
      );
      expect(after).toMatchObject({ pointsAvailable: 50, pointsPending: 0, pointsLifetime: 70 });
      expect(await member('uow-admin')).toMatchObject({ pointsAvailable: 50, pointsPending: 0, pointsLifetime: 70 });
      const rows = await app.plugin.db.knex('loyalty_ledger').where({ member_id: m.id }).orderBy('id');
      expect(rows.map((r) => [r.kind, Number(r.delta), r.actor, r.event_id])).toEqual([
        ['bonus', 70, 'admin:7', null],
        ['adjust', -20, 'admin:7', null],
      ]);
    });

    it('records a write-off as the system, whoever made the debit', async () => {
      await app.plugin.services.program.update({ refund_window_days: 0, debt_policy: 'write_off' });
      try {
        const m = await enrolled('uow-writeoff');
        await app.plugin.db.transaction(
          async (tx) => {
            const account = await MemberAccount.lock(tx, { id: m.id });
            await account?.debit({ points: 30, kind: 'adjust', reasonCode: 'test_spend', reducesLifetime: false, debtPolicy: 'write_off' });
          },
          { actor: { kind: 'admin', adminId: '9', role: 'owner' } },
        );
        const rows = await app.plugin.db.knex('loyalty_ledger').where({ member_id: m.id }).orderBy('id');
        expect(rows.map((r) => [r.kind, Number(r.delta), r.actor, r.reason_code])).toEqual([
          ['adjust', -30, 'admin:9', 'test_spend'],
          ['adjust', 30, 'system', 'debt_written_off'],
        ]);
        expect((await member('uow-writeoff'))?.pointsAvailable).toBe(0);
      } finally {
        await app.plugin.services.program.update({ refund_window_days: 0, debt_policy: 'debt' });
      }
    });

    it('lock answers null for a member that does not exist', async () => {
      expect(await app.plugin.db.transaction((tx) => MemberAccount.lock(tx, { panelClientId: 'nobody' }))).toBeNull();
    });
  });
});
