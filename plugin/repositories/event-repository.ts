import type { Knex } from 'knex';
import { insertRows, selectIn } from './bulk';
import { insertOrDuplicate } from './insert-or-duplicate';
import { toDate, toInt } from './row-values';

export const EVENTS = 'loyalty_events';

export type Outcome = 'pending' | 'applied' | 'ignored';

export interface InboxEvent {
  id: number;
  source: string;
  externalId: string;
  type: string;
  bodyHash: string;
  memberId: number | null;
  outcome: Outcome;
  points: number;
  writtenOff: number;
  detail: string | null;
  receivedAt: Date;
}

export interface NewInboxEvent {
  source: string;
  externalId: string;
  type: string;
  occurredAt: Date;
  bodyHash: string;
  payload: string;
  receivedAt: Date;
  /** The delivering request's id (`X-Request-Id`), when it came over HTTP. */
  requestId?: string;
}

function toInboxEvent(row: Record<string, unknown>): InboxEvent {
  return {
    id: toInt(row.id),
    source: String(row.source),
    externalId: String(row.external_id),
    type: String(row.type),
    bodyHash: String(row.body_hash),
    memberId: row.member_id === null ? null : toInt(row.member_id),
    outcome: row.outcome as Outcome,
    points: toInt(row.points),
    writtenOff: toInt(row.written_off),
    detail: (row.detail as string | null) ?? null,
    receivedAt: toDate(row.received_at),
  };
}

/** An event to write with what applying it did. */
export type DecidedInboxEvent = Omit<NewInboxEvent, 'source'> & { memberId: number; outcome: Outcome; points: number; detail?: string };

function decidedRow(source: string, e: DecidedInboxEvent): Record<string, unknown> {
  return {
    source,
    external_id: e.externalId,
    type: e.type,
    occurred_at: e.occurredAt,
    body_hash: e.bodyHash,
    payload: e.payload,
    member_id: e.memberId,
    outcome: e.outcome,
    points: e.points,
    detail: e.detail ?? null,
    received_at: e.receivedAt,
    request_id: e.requestId ?? null,
  };
}

export class EventRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** Returns null for a second delivery: the unique (source, external_id) key holds the first. */
  async insert(e: NewInboxEvent): Promise<number | null> {
    return insertOrDuplicate(
      this.db(EVENTS).insert({
        source: e.source,
        external_id: e.externalId,
        type: e.type,
        occurred_at: e.occurredAt,
        body_hash: e.bodyHash,
        payload: e.payload,
        outcome: 'pending',
        points: 0,
        received_at: e.receivedAt,
        request_id: e.requestId ?? null,
      }),
    );
  }

  /**
   * Several events written at once with their outcome (a backfill's batch): plain multi-row
   * INSERTs, so an id another delivery holds fails the statement and the caller's transaction
   * starts over. Returns each new row's id by external id.
   */
  async insertManyWithOutcome(source: string, events: ReadonlyArray<DecidedInboxEvent>): Promise<Map<string, number>> {
    const rows = events.map((e) => decidedRow(source, e));
    // A single row's id is the one the engine reports; several are read back by their key.
    if (rows.length === 1) {
      const [id] = await this.db(EVENTS).insert(rows[0]);
      return new Map([[events[0]?.externalId as string, toInt(id)]]);
    }
    await insertRows(this.db, EVENTS, rows);
    return this.idsOf(
      source,
      events.map((e) => e.externalId),
    );
  }

  /** One event written with its outcome; null when the unique (source, external_id) key holds it already. */
  async insertWithOutcome(source: string, event: DecidedInboxEvent): Promise<number | null> {
    return insertOrDuplicate(this.db(EVENTS).insert(decidedRow(source, event)));
  }

  /** The inbox ids of these external ids that are in the inbox (by the unique key). */
  async idsOf(source: string, externalIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await selectIn(externalIds, (slice) => this.db(EVENTS).where({ source }).whereIn('external_id', slice).select('id', 'external_id'));
    return new Map((rows as Array<Record<string, unknown>>).map((r) => [String(r.external_id), toInt(r.id)]));
  }

  /** The body hash each of these external ids was first received with, for those already in the inbox. */
  async bodyHashes(source: string, externalIds: readonly string[]): Promise<Map<string, string>> {
    const rows = await selectIn(externalIds, (slice) => this.db(EVENTS).where({ source }).whereIn('external_id', slice).select('external_id', 'body_hash'));
    return new Map((rows as Array<Record<string, unknown>>).map((r) => [String(r.external_id), String(r.body_hash)]));
  }

  async recordOutcome(
    id: number,
    result: { memberId: number; outcome: Outcome; points: number; writtenOff?: number; detail?: string },
  ): Promise<void> {
    await this.db(EVENTS).where({ id }).update({
      member_id: result.memberId,
      outcome: result.outcome,
      points: result.points,
      written_off: result.writtenOff ?? 0,
      detail: result.detail ?? null,
    });
  }

  async find(source: string, externalId: string): Promise<InboxEvent | null> {
    const row = await this.db(EVENTS).where({ source, external_id: externalId }).first();
    return row ? toInboxEvent(row) : null;
  }

  /** The body an event was first received with, as stored (the demo panel re-sends it as a panel would). */
  async payload(source: string, externalId: string): Promise<string | null> {
    const row = await this.db(EVENTS).where({ source, external_id: externalId }).first('payload');
    return row ? String(row.payload) : null;
  }

  async count(): Promise<number> {
    const row = await this.db(EVENTS).count({ n: '*' }).first();
    return toInt(row?.n);
  }
}
