import type { Knex } from 'knex';
import type { AuditEntry, AuditFilter, NewAuditEntry } from '../domain/audit';
import { toDate, toInt } from './row-values';

export const AUDIT = 'loyalty_audit';

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
const parse = (text: unknown): unknown => (typeof text === 'string' ? (JSON.parse(text) as unknown) : null);

function toEntry(row: Record<string, unknown>): AuditEntry {
  return {
    id: toInt(row.id),
    actorId: String(row.actor_id),
    actorName: String(row.actor_name),
    role: String(row.role),
    action: String(row.action),
    target: (row.target as string | null) ?? null,
    before: parse(row.before),
    after: parse(row.after),
    at: toDate(row.at),
    ip: (row.ip as string | null) ?? null,
    requestId: (row.request_id as string | null) ?? null,
  };
}

/** The audit log: insert and read, nothing else (no update, no delete: it is append-only). */
export class AuditRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async append(e: NewAuditEntry): Promise<number> {
    const [id] = await this.db(AUDIT).insert({
      actor_id: e.actor.id.slice(0, 64),
      actor_name: e.actor.name.slice(0, 190),
      role: e.actor.role,
      action: e.action.slice(0, 64),
      target: e.target?.slice(0, 190) ?? null,
      before: json(e.before),
      after: json(e.after),
      at: e.at,
      ip: e.origin.ip?.slice(0, 64) ?? null,
      request_id: e.origin.requestId?.slice(0, 128) ?? null,
    });
    return toInt(id);
  }

  /** Newest first, `limit` rows with ids below `before` (a keyset page). */
  async page(filter: AuditFilter, before: number | null, limit: number): Promise<AuditEntry[]> {
    const q = this.db(AUDIT).orderBy('id', 'desc').limit(limit);
    if (before !== null) q.where('id', '<', before);
    if (filter.actor !== undefined) q.andWhere('actor_id', filter.actor);
    if (filter.action !== undefined) q.andWhere('action', filter.action);
    if (filter.target !== undefined) q.andWhere('target', filter.target);
    if (filter.from !== undefined) q.andWhere('at', '>=', filter.from);
    if (filter.to !== undefined) q.andWhere('at', '<', filter.to);
    return (await q).map(toEntry);
  }

  /** The distinct actions recorded so far, for the filter's choices. */
  async actions(): Promise<string[]> {
    const rows: Array<Record<string, unknown>> = await this.db(AUDIT).distinct('action').orderBy('action', 'asc');
    return rows.map((r) => String(r.action));
  }
}
