import type { ServiceInfo } from '../domain/billing-event';
import type { ServiceSummary } from '../domain/member';
import { priceChange } from '../domain/rules';
import { priceBefore, setsPrice, type HistoryEntry, type HistoryKind, type ServiceChanges, type ServiceRecord, type ServiceState } from '../domain/service-record';
import { resumeGraceClock } from '../domain/tiers';
import type { Tx } from '../db/unit-of-work';
import { earningPause, type EarningService } from './earning-service';
import type { MemberAccount } from './member-account';
import type { RenewalStreaks } from './renewal-streaks';
import type { UpgradeInvoices } from './upgrade-invoices';
import type { UseCaseContext, UseCaseResult } from './use-case-context';

type ServiceInput = UseCaseContext & { service: ServiceInfo; occurredAt: Date };

/**
 * A panel clock ahead of ours must not date an effect (a service's start, a suspension's clock,
 * a cancellation, points) in the future. Which of two events is newer is still told by their own
 * `occurred_at`: clamped, every event dated ahead would be "now" when delivered, and the one
 * delivered last would win.
 */
const clamp = (at: Date, now: Date) => (at < now ? at : now);

/**
 * What the event (at `at`) says about the service's plan, for its row (`row`: null when new). Its
 * price only when no newer event set one: a late upgrade must not bring back an older price.
 */
function planOf(service: ServiceInfo, at: Date, row: ServiceRecord | null): ServiceChanges {
  return {
    ...(service.productId !== undefined && { productId: service.productId }),
    ...(service.productGroup !== undefined && { productGroup: service.productGroup }),
    ...(service.billingCycle !== undefined && { billingCycle: service.billingCycle }),
    ...(service.amount !== undefined && setsPrice(row, at) && { amountMinor: service.amount.minor, currency: service.amount.currency, amountAt: at }),
  };
}

const STATE_KIND: Record<ServiceState, HistoryKind> = {
  active: 'service_unsuspended',
  suspended: 'service_suspended',
  cancelled: 'service_cancelled',
};

/**
 * A member's services: created, upgraded, renewed, suspended, unsuspended, cancelled. Each
 * service has one row, written under the member's lock; its state follows the newest event
 * (an older one delivered late is recorded and changes nothing), and the member keeps a summary
 * (active and suspended counts, tenure, since when suspended) for the tier review, the earning
 * pause and the churn job. Every event is also written to the member's history.
 */
export class ServiceLifecycleService {
  constructor(
    private readonly earning: EarningService,
    /** The upgrade invoices, which own what an upgrade earns: their refunds and reversals take it back. */
    private readonly upgrades: UpgradeInvoices,
    /** The renewals of each service and the streak bonuses they reach, in any delivery order. */
    private readonly streaks: RenewalStreaks,
  ) {}

  async created(tx: Tx, account: MemberAccount, input: ServiceInput): Promise<UseCaseResult> {
    const effective = clamp(input.occurredAt, tx.now);
    const { row, inserted } = await this.ensure(tx, account, input, 'active');
    if (!inserted) {
      // Known from an earlier-delivered event (an upgrade, a renewal): the service started no later than this.
      const changes: ServiceChanges = { ...planOf(input.service, input.occurredAt, row), ...(effective < row.startedAt && { startedAt: effective }) };
      await tx.repos.services.update(row.id, changes, tx.now);
    }
    await this.record(tx, account, input, 'service_created', { known_before: !inserted });
    await this.summarise(tx, account, effective);
    return { outcome: 'applied', points: 0, ...(!inserted && { detail: 'already_known' }) };
  }

  suspended(tx: Tx, account: MemberAccount, input: ServiceInput): Promise<UseCaseResult> {
    return this.transition(tx, account, input, 'suspended');
  }

  unsuspended(tx: Tx, account: MemberAccount, input: ServiceInput): Promise<UseCaseResult> {
    return this.transition(tx, account, input, 'active');
  }

  cancelled(tx: Tx, account: MemberAccount, input: ServiceInput): Promise<UseCaseResult> {
    return this.transition(tx, account, input, 'cancelled');
  }

  /**
   * An upgrade earns its bonus once (the event id names the upgrade; the inbox keeps it once).
   * What it earns belongs to the invoice that paid for it (upgrade-invoices.ts): refunded or
   * reversed before this event came, it is taken back at once. A downgrade earns nothing and is
   * recorded as a churn signal. Which way the price went is judged from `previous_amount`, else
   * from the service's price on record before the event (same currency): an "upgrade" to a
   * lower price than the service had is a downgrade, whether or not the panel said so.
   */
  async upgraded(tx: Tx, account: MemberAccount, input: ServiceInput): Promise<UseCaseResult> {
    const at = clamp(input.occurredAt, tx.now);
    const { row, inserted } = await this.ensure(tx, account, input, 'active');
    const { service } = input;
    const onRecord = inserted ? null : priceBefore(row, input.occurredAt);
    const previousAmount = service.previousAmount ?? (onRecord && onRecord.currency === service.amount?.currency ? onRecord : undefined);
    await tx.repos.services.update(row.id, planOf(service, input.occurredAt, inserted ? null : row), tx.now);
    const prices = {
      from: previousAmount?.minor ?? null,
      to: service.amount?.minor ?? null,
      currency: service.amount?.currency ?? previousAmount?.currency ?? null,
    };
    const change = priceChange(service.amount, previousAmount);
    if (change !== null && change < 0) {
      await this.record(tx, account, input, 'service_downgraded', prices);
      return { outcome: 'applied', points: 0, detail: 'downgrade' };
    }
    // Judged at the event's own instant, the scale the history's suspensions are on.
    if ((await earningPause(tx, account, input))(input.occurredAt)) {
      await this.record(tx, account, input, 'service_upgraded', { ...prices, points: 0 });
      // Still an upgrade: it takes its invoice, so the next upgrade of the service pairs with its own.
      await this.upgrades.upgraded(tx, account, input, { serviceId: service.id, points: 0, at });
      return { outcome: 'applied', points: 0, detail: 'earning_paused' };
    }
    const r = await this.earning.awardUpgrade(tx, account, { ...input, serviceId: service.id, amount: service.amount, previousAmount, at });
    const points = r.kind === 'awarded' ? r.points : 0;
    await this.record(tx, account, input, 'service_upgraded', { ...prices, points });
    // (A downgrade was told apart above.)
    if (r.kind !== 'awarded') return { outcome: 'applied', points: 0, detail: 'no_price_change' };
    const taken = await this.upgrades.upgraded(tx, account, input, { serviceId: service.id, points, at });
    if (taken.points > 0) {
      const writtenOff = taken.writtenOff > 0 ? { writtenOff: taken.writtenOff } : {};
      return { outcome: 'applied', points: points - taken.points + taken.writtenOff, ...writtenOff, detail: 'earlier_refund_applied' };
    }
    return { outcome: 'applied', points, ...(points === 0 && { detail: 'no_upgrade_rule' }) };
  }

  /** Counts the renewal into the service's streak and settles its streak bonuses (renewal-streaks.ts). */
  async renewed(tx: Tx, account: MemberAccount, input: ServiceInput): Promise<UseCaseResult> {
    const { row } = await this.ensure(tx, account, input, 'active');
    const { result, details } = await this.streaks.renewed(tx, account, input, row, planOf(input.service, input.occurredAt, row));
    await this.record(tx, account, input, 'service_renewed', details);
    return result;
  }

  private async transition(tx: Tx, account: MemberAccount, input: ServiceInput, to: ServiceState): Promise<UseCaseResult> {
    const effective = clamp(input.occurredAt, tx.now);
    const { row, inserted } = await this.ensure(tx, account, input, to);
    const kind = STATE_KIND[to];
    // An older event delivered after a newer one (an unsuspend that overtook its suspend) is
    // history, not the service's state. Older by the events' own instants, even dated ahead of
    // our clock.
    if (!inserted && input.occurredAt < row.stateAt) {
      await this.record(tx, account, input, kind, { applied: false });
      return { outcome: 'applied', points: 0, detail: 'out_of_order' };
    }
    if (!inserted) {
      await tx.repos.services.update(
        row.id,
        {
          ...planOf(input.service, input.occurredAt, row),
          state: to,
          stateAt: input.occurredAt,
          suspendedSince: to === 'suspended' ? (row.state === 'suspended' ? row.suspendedSince : effective) : null,
          ...(to === 'cancelled' && { cancelledAt: effective }),
        },
        tx.now,
      );
    }
    await this.record(tx, account, input, kind, { applied: true, from: inserted ? null : row.state });
    await this.summarise(tx, account, effective);
    return { outcome: 'applied', points: 0, ...(!inserted && row.state === to && { detail: `already_${to}` }) };
  }

  /**
   * The service's row, created in `state` from this event when it is the first one seen: the
   * state as of the event's own instant (what a later event is compared with), its clocks from
   * no later than now.
   */
  private async ensure(tx: Tx, account: MemberAccount, input: ServiceInput, state: ServiceState): Promise<{ row: ServiceRecord; inserted: boolean }> {
    const at = clamp(input.occurredAt, tx.now);
    const memberId = account.member.id;
    const existing = await tx.repos.services.find(memberId, input.service.id);
    if (existing) return { row: existing, inserted: false };
    const row = await tx.repos.services.insert(
      memberId,
      input.service.id,
      {
        ...planOf(input.service, input.occurredAt, null),
        state,
        stateAt: input.occurredAt,
        startedAt: at,
        suspendedSince: state === 'suspended' ? at : null,
        cancelledAt: state === 'cancelled' ? at : null,
      },
      tx.now,
    );
    return { row, inserted: true };
  }

  /**
   * Recomputes the member's summary. The suspension clock runs from the first suspension while
   * none was suspended to the moment none is; when it stops, the tier grace clock resumes
   * without the paused time.
   */
  private async summarise(tx: Tx, account: MemberAccount, at: Date): Promise<void> {
    const before = account.member;
    const counted = await tx.repos.services.summary(before.id);
    const summary: ServiceSummary = {
      ...counted,
      suspendedSince: counted.servicesSuspended === 0 ? null : before.servicesSuspended > 0 && before.suspendedSince ? before.suspendedSince : counted.suspendedSince,
    };
    if (before.servicesSuspended > 0 && summary.servicesSuspended === 0 && before.tierBelowSince) {
      await account.setTier(before.tierId, resumeGraceClock(before.tierBelowSince, before.suspendedSince, at));
    }
    await account.setServiceSummary(summary);
  }

  /**
   * Dated by the event's own instant, not clamped: the earning pause reads the suspensions and
   * unsuspensions here (`suspendedAt`) and must order them as the services' rows do.
   */
  private record(tx: Tx, account: MemberAccount, input: ServiceInput, kind: HistoryKind, details: HistoryEntry['details']): Promise<void> {
    return tx.repos.history.append({ memberId: account.member.id, kind, serviceId: input.service.id, details, eventId: input.eventId, occurredAt: input.occurredAt }, tx.now);
  }
}
