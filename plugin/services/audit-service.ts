import type { AdminContext, AuditEntry, AuditFilter, AuditOrigin, NewAuditEntry } from '../domain/audit';
import type { Database } from '../db/database';
import type { Tx } from '../db/unit-of-work';

export type { AuditEntry, AuditFilter } from '../domain/audit';

export const AUDIT_PAGE_SIZE = 50;

/**
 * The admin audit log. `record` takes the transaction of the action it records, so the row
 * commits if and only if the action does; nothing here updates or deletes a row.
 */
export class AuditService {
  constructor(private readonly db: Database) {}

  async record(tx: Tx, ctx: AdminContext | { admin: NewAuditEntry['actor']; origin: AuditOrigin }, entry: { action: string; target: string | null; before?: unknown; after?: unknown }): Promise<number> {
    return tx.repos.audit.append({ actor: ctx.admin, origin: ctx.origin, at: tx.now, ...entry });
  }

  /** For what happens outside any other write (a sign-in, a refused one): a transaction of its own. */
  async recordAlone(ctx: AdminContext | { admin: NewAuditEntry['actor']; origin: AuditOrigin }, entry: { action: string; target: string | null; before?: unknown; after?: unknown }): Promise<void> {
    await this.db.transaction((tx) => this.record(tx, ctx, entry));
  }

  /** Newest first, one page, and the id to continue below (null on the last page). */
  async page(filter: AuditFilter, before: number | null, limit = AUDIT_PAGE_SIZE): Promise<{ entries: AuditEntry[]; next: number | null }> {
    const rows = await this.db.repos.audit.page(filter, before, limit + 1);
    const entries = rows.slice(0, limit);
    return { entries, next: rows.length > limit ? (entries.at(-1)?.id ?? null) : null };
  }

  async actions(): Promise<string[]> {
    return this.db.repos.audit.actions();
  }
}
