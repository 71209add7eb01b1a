import type { Money } from './money';

/** What the plugin keeps per panel service of a member (loyalty_services). */
export const SERVICE_STATES = ['active', 'suspended', 'cancelled'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

export interface ServiceRecord {
  id: number;
  memberId: number;
  serviceId: string;
  state: ServiceState;
  /**
   * The instant of the event that set `state`, its own `occurred_at` even when dated ahead of our
   * clock: an older event can't undo it.
   */
  stateAt: Date;
  productId: string | null;
  productGroup: string | null;
  billingCycle: string | null;
  /** The recurring price, as the newest event that gave one said. */
  currency: string | null;
  amountMinor: number | null;
  /** The instant of the event that set the price: an older one can't undo it. Null on rows priced before it was kept. */
  amountAt: Date | null;
  startedAt: Date;
  cancelledAt: Date | null;
  suspendedSince: Date | null;
  streak: number;
  streakMonths: number;
  lastDueDate: string | null;
  lastRenewedAt: Date | null;
}

export type ServiceChanges = Partial<Omit<ServiceRecord, 'id' | 'memberId' | 'serviceId'>>;

/**
 * The price a service had just before an event at `at`, as far as its row knows: the price it
 * holds, when the event that set it was no later than `at` (a row priced before that instant was
 * kept is taken as it stands). Null when the row has no price, or a newer one than `at`.
 */
export function priceBefore(row: Pick<ServiceRecord, 'amountMinor' | 'currency' | 'amountAt'>, at: Date): Money | null {
  if (row.amountMinor === null || row.currency === null) return null;
  if (row.amountAt !== null && row.amountAt > at) return null;
  return { currency: row.currency, minor: row.amountMinor };
}

/** Whether an event at `at` sets the service's price: the row has none, or none newer. */
export function setsPrice(row: Pick<ServiceRecord, 'amountAt'> | null, at: Date): boolean {
  return !row || row.amountAt === null || row.amountAt <= at;
}

/** Kinds of member history rows (loyalty_member_history). */
export const HISTORY_KINDS = [
  'service_created',
  'service_cancelled',
  'service_suspended',
  'service_unsuspended',
  'service_upgraded',
  'service_downgraded',
  'service_renewed',
  'client_updated',
] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

export interface HistoryEntry {
  memberId: number;
  kind: HistoryKind;
  serviceId?: string;
  details: Record<string, string | number | boolean | null>;
  eventId?: number;
  occurredAt: Date;
}

/** A service's state from `at` on, as an event the member's history records set it. */
export interface ServiceStateChange {
  serviceId: string;
  state: ServiceState;
  at: Date;
}

/**
 * The history kinds that set a service's state, and the state each sets. `service_created` is not
 * one: it never changes a known service's state, and a service no change names yet is not suspended.
 */
export const STATE_CHANGE_KINDS = {
  service_suspended: 'suspended',
  service_unsuspended: 'active',
  service_cancelled: 'cancelled',
} as const satisfies Partial<Record<HistoryKind, ServiceState>>;

/**
 * Whether one of a member's services was suspended at `at`: each service is in the state its
 * latest change at or before `at` set, so a suspension covers [suspended, unsuspended). Judged
 * from all the changes the history holds, those delivered out of order included, so the answer
 * is the same whatever order the panel sent them in. `changes` come in the order recorded: of
 * two at the same instant the later-recorded wins, as on the service's row.
 */
export function suspendedAt(changes: readonly ServiceStateChange[], at: Date): boolean {
  const latest = new Map<string, ServiceStateChange>();
  for (const c of changes) {
    if (c.at > at) continue;
    const seen = latest.get(c.serviceId);
    if (!seen || c.at >= seen.at) latest.set(c.serviceId, c);
  }
  return [...latest.values()].some((c) => c.state === 'suspended');
}
