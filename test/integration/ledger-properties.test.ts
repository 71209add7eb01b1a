import fc from 'fast-check';
import { reversalTarget } from '../../plugin/domain/reversal';
import { tierForSpend, windowMonths } from '../../plugin/domain/tiers';
import { expectBalancesConsistent, startTestApp, tableCounts, type TestApp } from '../support/harness';

/**
 * Random sequences of payments, re-payments, partial refunds, chargebacks, reversals
 * (`invoice.reversed`), redeliveries and reorderings (a refund or a reversal may come before
 * its payment) for several members, on the real database. After every step the DESIGN §5
 * invariants must hold, and whether each invoice is paid follows a model: a payment pays an
 * unpaid invoice (unless a reversal that arrived first, no earlier than it, absorbs it), a
 * reversal unpays a paid one.
 */
type Command =
  | { kind: 'pay'; member: number; invoice: number }
  | { kind: 'refund'; member: number; invoice: number; cents: number }
  | { kind: 'chargeback'; member: number; invoice: number }
  | { kind: 'reverse'; member: number; invoice: number }
  | { kind: 'redeliver'; back: number }
  | { kind: 'wait'; days: number };

const MEMBERS = 3;
const INVOICES = 4;
const TOTAL_CENTS = [1999, 12000, 4550, 100];

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('pay' as const), member: fc.nat(MEMBERS - 1), invoice: fc.nat(INVOICES - 1) }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('refund' as const), member: fc.nat(MEMBERS - 1), invoice: fc.nat(INVOICES - 1), cents: fc.integer({ min: 1, max: 13000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('chargeback' as const), member: fc.nat(MEMBERS - 1), invoice: fc.nat(INVOICES - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reverse' as const), member: fc.nat(MEMBERS - 1), invoice: fc.nat(INVOICES - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), back: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), days: fc.integer({ min: 1, max: 20 }) }) },
);

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

describe('ledger invariants under random event sequences (fast-check)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ program: { refund_window_days: 14, debt_policy: 'debt', chargeback_penalty_points: 5 } });
  });
  afterAll(() => app.close());

  it('keeps balance = Σ ledger = Σ lots, bounds reversals per invoice, and makes replays no-ops', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
        const prefix = `prop${++run}`;
        const sent: Array<Record<string, unknown>> = [];
        let seq = 0;
        const model = new Map<string, { paid: boolean; pendingReversal: number | null }>();
        for (const c of commands) {
          if (c.kind === 'wait') {
            app.clock.advance(c.days * 86_400_000);
            continue;
          }
          let event: Record<string, unknown>;
          if (c.kind === 'redeliver') {
            if (sent.length === 0) continue;
            event = sent[Math.max(0, sent.length - 1 - c.back)]!;
            const before = await tableCounts(app.plugin);
            const res = await app.send(event);
            expect(res.status).toBe(200);
            expect(res.body.outcome).toBe('duplicate');
            expect(await tableCounts(app.plugin)).toEqual(before);
          } else {
            const client = { id: `${prefix}-m${c.member}` };
            const invoice = { id: `${prefix}-i${c.member}-${c.invoice}`, currency: 'USD', total: money(TOTAL_CENTS[c.invoice]!) };
            const base = { id: `${prefix}:${c.kind}:${++seq}`, occurred_at: app.clock.now().toISOString(), client };
            event =
              c.kind === 'pay'
                ? { ...base, type: 'invoice.paid', invoice }
                : c.kind === 'refund'
                  ? { ...base, type: 'invoice.refunded', invoice: { ...invoice, refunded: money(Math.min(c.cents, TOTAL_CENTS[c.invoice]!)) } }
                  : c.kind === 'reverse'
                    ? { ...base, type: 'invoice.reversed', invoice }
                    : { ...base, type: 'invoice.chargeback', invoice };
            const at = app.clock.now().getTime();
            const state = model.get(invoice.id) ?? { paid: false, pendingReversal: null };
            if (c.kind === 'pay' && !state.paid) {
              if (state.pendingReversal !== null && at <= state.pendingReversal) state.pendingReversal = null;
              else state.paid = true;
            }
            if (c.kind === 'reverse') {
              if (state.paid) state.paid = false;
              else state.pendingReversal = at;
            }
            model.set(invoice.id, state);
            const res = await app.send(event);
            expect([res.status, res.body.error]).toEqual([200, undefined]);
            sent.push(event);
            // The answer is the event's net effect on the member: what its ledger entries add up to.
            const inbox = await app.plugin.db.knex('loyalty_events').where({ source: 'test', external_id: event.id }).first();
            const written = await app.plugin.db.knex('loyalty_ledger').where({ event_id: inbox.id }).sum({ n: 'delta' }).first();
            expect(Number(written?.n ?? 0)).toBe(res.body.points);
          }
          await expectBalancesConsistent(app.plugin);
          // No invoice is ever reversed beyond what it earned, and exactly as far as its refunds say.
          const rows = await app.plugin.db.knex('loyalty_invoices').where('invoice_id', 'like', `${prefix}-%`);
          for (const r of rows) {
            expect([r.invoice_id, r.paid_at !== null]).toEqual([r.invoice_id, model.get(String(r.invoice_id))?.paid ?? false]);
            const earned = Number(r.earned_points);
            const reversed = Number(r.reversed_points);
            expect(reversed).toBeLessThanOrEqual(earned);
            if (r.paid_at !== null) {
              expect(reversed).toBe(
                reversalTarget({ earned, totalMinor: Number(r.total_minor), refundedMinor: Number(r.refunded_minor), chargedBack: Boolean(Number(r.charged_back)) }),
              );
            }
            const net = await app.plugin.db
              .knex('loyalty_ledger')
              .where({ member_id: r.member_id, reference: `invoice:${r.invoice_id}` })
              .whereIn('kind', ['earn', 'bonus', 'reverse'])
              .sum({ n: 'delta' })
              .first();
            expect(Number(net?.n ?? 0)).toBe(earned - reversed);
          }
          // Tiers follow qualifying spend: never below what it earns (upgrades are immediate),
          // and above it only while the downgrade grace clock runs.
          const { tiers } = await app.plugin.services.tiers.config();
          for (let m = 0; m < MEMBERS; m++) {
            const member = await app.plugin.db.repos.members.findByPanelClientId(`${prefix}-m${m}`);
            if (!member) continue;
            const spend = await app.plugin.db.repos.tiers.spendIn(member.id, windowMonths(app.clock.now()));
            const expected = Number(await app.plugin.db.knex('loyalty_invoices').where({ member_id: member.id }).whereNotNull('paid_at').sum({ n: app.plugin.db.knex.raw('qualifying_minor - qualifying_removed_minor') }).first().then((r) => r?.n ?? 0));
            // No tier yet (no payment) means the entry tier.
            const held = tiers.find((t) => t.id === member.tierId) ?? tierForSpend(tiers, 0);
            const reached = tierForSpend(tiers, spend);
            if (spend === expected) {
              expect(held?.rank ?? 0).toBeGreaterThanOrEqual(reached?.rank ?? 0);
            }
            if ((held?.rank ?? 0) > (reached?.rank ?? 0)) expect(member.tierBelowSince).not.toBeNull();
          }
        }
      }),
      { numRuns: process.env.TEST_DATABASE_URL ? 12 : 25, endOnFailure: true },
    );
  });
});
