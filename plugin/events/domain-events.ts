import { EventEmitter } from 'node:events';

/** What happened, published only after the transaction that made it happen has committed. */
export interface DomainEvents {
  'billing-event.processed': {
    source: string;
    eventId: string;
    type: string;
    memberId: number;
    panelClientId: string;
    outcome: 'applied' | 'ignored';
    points: number;
    detail?: string;
  };
  'member.enrolled': { memberId: number; panelClientId: string };
}

export class DomainEventBus {
  private readonly emitter = new EventEmitter();

  on<K extends keyof DomainEvents>(name: K, listener: (payload: DomainEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  publish<K extends keyof DomainEvents>(name: K, payload: DomainEvents[K]): void {
    this.emitter.emit(name, payload);
  }
}
