/** What the plugin keeps per panel service of a member (loyalty_services). */
export const SERVICE_STATES = ['active', 'suspended', 'cancelled'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

export interface ServiceRecord {
  id: number;
  memberId: number;
  serviceId: string;
  state: ServiceState;
  /** The instant of the event that set `state`: an older event can't undo it. */
  stateAt: Date;
  productId: string | null;
  productGroup: string | null;
  billingCycle: string | null;
  currency: string | null;
  amountMinor: number | null;
  startedAt: Date;
  cancelledAt: Date | null;
  suspendedSince: Date | null;
  streak: number;
  streakMonths: number;
  lastDueDate: string | null;
  lastRenewedAt: Date | null;
}

export type ServiceChanges = Partial<Omit<ServiceRecord, 'id' | 'memberId' | 'serviceId'>>;

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
