import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';
import { MemberAccount } from '../../plugin/services/member-account';

const DAY = 86_400_000;
let n = 0;

function refund(clientId: string, invoiceId: string, amount: string, total = '120.00') {
  return {
    id: `test:refund:${invoiceId}:${++n}`,
    type: 'invoice.refunded',
    occurred_at: '2026-11-23T12:00:00Z',
    client: { id: clientId },
    invoice: { id: invoiceId, currency: 'USD', total, refunded: amount },
  };
}

function chargeback(clientId: string, invoiceId: string, total = '120.00') {
  return {
    id: `test:chargeback:${invoiceId}:${++n}`,
    type: 'invoice.chargeback',
    occurred_at: '2026-11-23T12:00:00Z',
    client: { id: clientId },
    invoice: { id: invoiceId, currency: 'USD', total },
  };
}

const paid = (clientId: string, invoiceId: string, total = '120.00') =>
  invoicePaid({ client: { id: clientId }, invoice: { id: invoiceId, total, items: [] }, occurred_at: '2026-11-23T12:00:00Z' });

describe('pending points, refunds and chargebacks', () => {
  let app: TestApp;
  const member = (id: string) => app.plugin.db.repos.members.findByPanelClientId(id);
  const setProgram = (settings: Parameters<TestApp['plugin']['services']['program']['update']>[0]) =>
    app.plugin.services.program.update(settings);

  beforeAll(async () => {
    app = await startTestApp({ program: { refund_window_days: 14 } });
  });
  afterAll(() => app.close());
  afterEach(() => expectBalancesConsistent(app.plugin));

  it('new points are pending for the refund window, then released by a ledger entry', async () => {
    await app.send(paid('p-1', 'P1')).expect(200);
    expect(await member('p-1')).toMatchObject({ pointsAvailable: 0, pointsPending: 120 });
    app.clock.advance(14 * DAY + 1);
    try {
      // The tab shows them released without writing (issue 14); the job writes the release.
      const page = await app.plugin.presenters.rewardsTab.build('p-1');
      expect(page.model).toMatchObject({ balance: 120, pending: 0 });
      expect(await member('p-1')).toMatchObject({ pointsAvailable: 0, pointsPending: 120 });
      await app.plugin.jobs.releasePending();
      expect(await member('p-1')).toMatchObject({ pointsAvailable: 120, pointsPending: 0 });
      const { entries } = await app.plugin.db.repos.ledger.pageForMember((await member('p-1'))!.id, { limit: 5 });
      expect(entries[0]).toMatchObject({ kind: 'release', delta: 0, reasonCode: 'points_released', reasonParams: { points: 120 } });
    } finally {
      app.clock.advance(-(14 * DAY + 1));
    }
  });

  it('a partial refund reverses the refunded share, pending points first', async () => {
    await app.send(paid('r-1', 'R1')).expect(200);
    const res = await app.send(refund('r-1', 'R1', '30.00')).expect(200);
    expect(res.body).toMatchObject({ outcome: 'applied', points: -30 });
    expect(await member('r-1')).toMatchObject({ pointsAvailable: 0, pointsPending: 90, pointsLifetime: 90 });
  });

  it('several partial refunds never reverse more than the invoice earned', async () => {
    await app.send(paid('r-2', 'R2', '30.00')).expect(200); // 30 points
    const first = await app.send(refund('r-2', 'R2', '10.00', '30.00')).expect(200);
    const second = await app.send(refund('r-2', 'R2', '10.00', '30.00')).expect(200);
    const third = await app.send(refund('r-2', 'R2', '25.00', '30.00')).expect(200);
    expect([first.body.points, second.body.points, third.body.points]).toEqual([-10, -10, -10]);
    const fourth = await app.send(refund('r-2', 'R2', '5.00', '30.00')).expect(200);
    expect(fourth.body).toMatchObject({ points: 0, detail: 'nothing_to_reverse' });
    expect((await member('r-2'))?.pointsPending).toBe(0);
  });

  it('a refund delivered twice reverses once', async () => {
    await app.send(paid('r-3', 'R3')).expect(200);
    const event = refund('r-3', 'R3', '60.00');
    await app.send(event).expect(200);
    const again = await app.send(event).expect(200);
    expect(again.body).toMatchObject({ outcome: 'duplicate', points: -60 });
    expect((await member('r-3'))?.pointsPending).toBe(60);
  });

  it('a refund that arrives before the payment waits for it, and is applied once', async () => {
    const early = await app.send(refund('r-4', 'R4', '60.00')).expect(200);
    expect(early.body).toMatchObject({ outcome: 'applied', points: 0, detail: 'awaiting_payment' });
    const res = await app.send(paid('r-4', 'R4')).expect(200);
    // The answer is the net effect: 120 earned, 60 of it reversed straight away.
    expect(res.body).toMatchObject({ points: 60, detail: 'earlier_refund_applied' });
    expect(await member('r-4')).toMatchObject({ pointsPending: 60, pointsLifetime: 60 });
    // Its history says what happened, in words: a refund of that invoice.
    const history = (await app.plugin.presenters.rewardsTab.build('r-4')).model.history as Array<{ delta: number; reason: unknown }>;
    expect(history.find((h) => h.delta === -60)?.reason).toEqual({ before: 'Invoice #', ref: 'R4', after: ' refunded' });
    await app.send(refund('r-4', 'R4', '60.00')).expect(200);
    expect((await member('r-4'))?.pointsPending).toBe(0);
  });

  it('a second payment event for the same invoice does not earn twice', async () => {
    await app.send(paid('r-5', 'R5')).expect(200);
    const again = paid('r-5', 'R5');
    const res = await app.send({ ...again, id: 'test:invoice:R5:paid:again' }).expect(200);
    expect(res.body).toMatchObject({ outcome: 'applied', points: 0, detail: 'already_paid' });
    expect((await member('r-5'))?.pointsPending).toBe(120);
  });

  it('a chargeback reverses everything the invoice earned, plus the program penalty, once', async () => {
    await setProgram({ refund_window_days: 0, chargeback_penalty_points: 25 });
    try {
      await app.send(paid('c-1', 'C1')).expect(200);
      await app.send(paid('c-1', 'C1b', '50.00')).expect(200);
      await app.send(refund('c-1', 'C1', '60.00')).expect(200);
      const res = await app.send(chargeback('c-1', 'C1')).expect(200);
      expect(res.body).toMatchObject({ points: -(60 + 25) });
      expect(await member('c-1')).toMatchObject({ pointsAvailable: 50 - 25 });
      const again = await app.send(chargeback('c-1', 'C1')).expect(200);
      expect(again.body).toMatchObject({ points: 0 });
    } finally {
      await setProgram({ refund_window_days: 14, chargeback_penalty_points: 0 });
    }
  });

  it('a chargeback of a released invoice takes its own points, not another invoice’s pending ones', async () => {
    await app.send(paid('rel-1', 'REL-A')).expect(200);
    app.clock.advance(15 * DAY);
    try {
      await app.plugin.jobs.releasePending();
      const now = app.clock.now().toISOString();
      await app.send(invoicePaid({ client: { id: 'rel-1' }, invoice: { id: 'REL-B', total: '120.00', items: [] }, occurred_at: now })).expect(200);
      expect(await member('rel-1')).toMatchObject({ pointsAvailable: 120, pointsPending: 120 });
      const res = await app.send({ ...chargeback('rel-1', 'REL-A'), occurred_at: now }).expect(200);
      expect(res.body).toMatchObject({ points: -120 });
      // REL-B's points stay pending until its own refund window ends.
      expect(await member('rel-1')).toMatchObject({ pointsAvailable: 0, pointsPending: 120 });
    } finally {
      app.clock.advance(-15 * DAY);
    }
  });

  it('a refund of a released invoice takes pending points first, then available (issue 3)', async () => {
    await app.send(paid('rel-2', 'REL-C')).expect(200);
    app.clock.advance(15 * DAY);
    try {
      await app.plugin.jobs.releasePending();
      const now = app.clock.now().toISOString();
      await app.send(invoicePaid({ client: { id: 'rel-2' }, invoice: { id: 'REL-D', total: '60.00', items: [] }, occurred_at: now })).expect(200);
      expect(await member('rel-2')).toMatchObject({ pointsAvailable: 120, pointsPending: 60 });
      const res = await app.send({ ...refund('rel-2', 'REL-C', '120.00'), occurred_at: now }).expect(200);
      expect(res.body).toMatchObject({ points: -120 });
      // The 60 pending points go first; what the member could already spend is touched only for the rest.
      expect(await member('rel-2')).toMatchObject({ pointsAvailable: 60, pointsPending: 0 });
    } finally {
      app.clock.advance(-15 * DAY);
    }
  });

  it('a chargeback that arrives before the payment takes everything and the penalty, once, when it is paid', async () => {
    await setProgram({ refund_window_days: 0, chargeback_penalty_points: 25 });
    try {
      await app.send(paid('c-2', 'C2-other', '100.00')).expect(200);
      expect((await app.send(chargeback('c-2', 'C2')).expect(200)).body).toMatchObject({ points: 0, detail: 'awaiting_payment' });
      const res = await app.send(paid('c-2', 'C2')).expect(200);
      expect(res.body).toMatchObject({ points: 120 - 120 - 25, detail: 'earlier_refund_applied' });
      expect((await member('c-2'))?.pointsAvailable).toBe(100 - 25);
      await app.send(chargeback('c-2', 'C2')).expect(200);
      expect((await member('c-2'))?.pointsAvailable).toBe(100 - 25);
    } finally {
      await setProgram({ refund_window_days: 14, chargeback_penalty_points: 0 });
    }
  });

  describe('entries are named by the number the panel sent for the invoice, whichever event sent it', () => {
    /** Each entry's invoice, as its reason names it, oldest first. */
    const named = async (clientId: string) => {
      const { entries } = await app.plugin.db.repos.ledger.pageForMember((await member(clientId))?.id ?? 0, { limit: 50 });
      return entries
        .filter((e) => e.reasonParams.invoice !== undefined)
        .reverse()
        .map((e) => [e.reasonCode, e.reasonParams.invoice]);
    };
    const numbered = (event: ReturnType<typeof paid>, number: string) => ({ ...event, invoice: { ...event.invoice, number } });

    it('a refund that came first, then the payment that numbers the invoice, then a chargeback that sends no number', async () => {
      await setProgram({ chargeback_penalty_points: 25 });
      try {
        await app.send(refund('num-1', 'NUM1', '20.00')).expect(200);
        await app.send(numbered(paid('num-1', 'NUM1'), 'INV-2026-0101')).expect(200);
        await app.send(chargeback('num-1', 'NUM1')).expect(200);
        const entries = await named('num-1');
        // The payment, the refund it applied, the chargeback and its penalty.
        expect(entries.map(([, invoice]) => invoice)).toEqual(['INV-2026-0101', 'INV-2026-0101', 'INV-2026-0101', 'INV-2026-0101']);
        expect(entries.slice(2)).toEqual([
          ['invoice_chargeback', 'INV-2026-0101'],
          ['chargeback_penalty', 'INV-2026-0101'],
        ]);
      } finally {
        await setProgram({ chargeback_penalty_points: 0 });
      }
    });

    it('a reversal and the re-payment after it, neither sending a number', async () => {
      await app.send(numbered(paid('num-2', 'NUM2'), 'INV-2026-0102')).expect(200);
      await app.send({ id: 'test:reversed:NUM2', type: 'invoice.reversed', occurred_at: '2026-11-23T12:00:00Z', client: { id: 'num-2' }, invoice: { id: 'NUM2', currency: 'USD', total: '120.00' } }).expect(200);
      expect((await app.send({ ...paid('num-2', 'NUM2'), id: 'test:invoice:NUM2:paid:2' }).expect(200)).body).toMatchObject({ points: 120 });
      expect(await named('num-2')).toEqual([
        ['invoice_paid', 'INV-2026-0102'],
        ['invoice_reversed', 'INV-2026-0102'],
        ['invoice_paid', 'INV-2026-0102'],
      ]);
    });
  });

  it('debt policy: reversing spent points leaves a negative balance that later earnings pay off', async () => {
    await setProgram({ refund_window_days: 0, debt_policy: 'debt' });
    try {
      await app.send(paid('d-1', 'D1')).expect(200);
      const m = (await member('d-1'))!;
      // Spend 100 of the 120 (redemption is a later issue; the member account is what it will use).
      await app.plugin.db.transaction(async (tx) =>
        (await MemberAccount.lock(tx, { id: m.id }))?.debit({
          points: 100, kind: 'adjust', reasonCode: 'test_spend', reducesLifetime: false, debtPolicy: 'debt',
        }),
      );
      await app.send(refund('d-1', 'D1', '120.00')).expect(200);
      expect(await member('d-1')).toMatchObject({ pointsAvailable: -100, pointsPending: 0 });
      await app.send(paid('d-1', 'D2', '30.00')).expect(200);
      expect((await member('d-1'))?.pointsAvailable).toBe(-70);
      await app.send(paid('d-1', 'D3', '90.00')).expect(200);
      expect((await member('d-1'))?.pointsAvailable).toBe(20);
      const lots = await app.plugin.db.knex('loyalty_lots').where({ member_id: m.id }).orderBy('id');
      expect(lots.map((l) => Number(l.remaining))).toEqual([0, 0, 20]);
    } finally {
      await setProgram({ refund_window_days: 14 });
    }
  });

  it('write-off policy: the loss is recorded and the balance stops at zero', async () => {
    await setProgram({ refund_window_days: 0, debt_policy: 'write_off' });
    try {
      await app.send(paid('w-1', 'W1')).expect(200);
      const m = (await member('w-1'))!;
      await app.plugin.db.transaction(async (tx) =>
        (await MemberAccount.lock(tx, { id: m.id }))?.debit({
          points: 100, kind: 'adjust', reasonCode: 'test_spend', reducesLifetime: false, debtPolicy: 'write_off',
        }),
      );
      await app.send(refund('w-1', 'W1', '120.00')).expect(200);
      expect(await member('w-1')).toMatchObject({ pointsAvailable: 0 });
      const { entries } = await app.plugin.db.repos.ledger.pageForMember(m.id, { limit: 2 });
      expect(entries.map((e) => [e.kind, e.delta, e.reasonCode])).toEqual([
        ['adjust', 100, 'debt_written_off'],
        ['reverse', -120, 'invoice_refunded'],
      ]);
    } finally {
      await setProgram({ refund_window_days: 14, debt_policy: 'debt' });
    }
  });

  it('the release job releases due points for every member, and a second run changes nothing', async () => {
    await app.send(paid('j-1', 'J1')).expect(200);
    await app.send(paid('j-2', 'J2')).expect(200);
    app.clock.advance(15 * DAY);
    try {
      const first = await app.plugin.jobs.releasePending();
      expect(first.members).toBeGreaterThanOrEqual(2);
      expect((await member('j-1'))?.pointsAvailable).toBeGreaterThanOrEqual(120);
      const ledgerRows = await app.plugin.db.knex('loyalty_ledger').count({ n: '*' }).first();
      expect(await app.plugin.jobs.releasePending()).toEqual({ members: 0, points: 0 });
      expect(await app.plugin.db.knex('loyalty_ledger').count({ n: '*' }).first()).toEqual(ledgerRows);
    } finally {
      app.clock.advance(-15 * DAY);
    }
  });
});
