import type { Actor } from '../domain/actor';
import type { DomainEventName, DomainEvents, QueuedDomainEvent } from '../domain/domain-events';
import type { Repositories } from '../repositories';

/**
 * One attempt of one transaction: its repositories, its instant, who acts, and the domain
 * events to publish if (and only if) it commits. Reads inside a transaction go through
 * `repos`: a read through the pool would wait for ever on SQLite's single connection.
 */
export interface Tx {
  readonly repos: Repositories;
  /** Fixed for the attempt, so every row it writes carries the same time. */
  readonly now: Date;
  readonly actor: Actor;
  afterCommit<K extends DomainEventName>(name: K, payload: DomainEvents[K]): void;
}

export class TransactionAttempt implements Tx {
  readonly queued: QueuedDomainEvent[] = [];

  constructor(
    readonly repos: Repositories,
    readonly now: Date,
    readonly actor: Actor,
  ) {}

  afterCommit<K extends DomainEventName>(name: K, payload: DomainEvents[K]): void {
    this.queued.push({ name, payload } as QueuedDomainEvent);
  }
}
