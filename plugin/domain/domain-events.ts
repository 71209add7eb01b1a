/**
 * What happened, by name. Queued with `tx.afterCommit` and published only once the
 * transaction that made it happen has committed; a retried attempt's events are dropped.
 */
export interface DomainEvents {
  'billing-event.processed': {
    source: string;
    eventId: string;
    type: string;
    memberId: number;
    panelClientId: string;
    outcome: 'applied' | 'ignored';
    points: number;
    writtenOff?: number;
    detail?: string;
  };
  'member.enrolled': { memberId: number; panelClientId: string };
  'tier.changed': { memberId: number; panelClientId: string; fromTierId: number | null; toTierId: number; reason: string };
}

export type DomainEventName = keyof DomainEvents;

/** One queued event: its name and payload, kept together so the pair stays typed. */
export type QueuedDomainEvent = { [K in DomainEventName]: { name: K; payload: DomainEvents[K] } }[DomainEventName];
