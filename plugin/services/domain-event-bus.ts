import { EventEmitter } from 'node:events';
import type { DomainEventName, DomainEvents, QueuedDomainEvent } from '../domain/domain-events';

/**
 * In-process subscribers to domain events. The database publishes a transaction's events here
 * after it commits (see `Database.transaction`), so a subscriber never sees a change that was
 * rolled back.
 */
export class DomainEventBus {
  private readonly emitter = new EventEmitter();

  on<K extends DomainEventName>(name: K, listener: (payload: DomainEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  publish(event: QueuedDomainEvent): void {
    this.emitter.emit(event.name, event.payload);
  }
}
