import type { AdminRole } from './actor';

/** An admin as the audit log names them: the panel's admin id (or `owner` for the standalone sign-in). */
export interface AdminIdentity {
  id: string;
  name: string;
  role: AdminRole;
}

/** Where an admin request came from, recorded beside what it did. */
export interface AuditOrigin {
  ip: string | null;
  requestId: string | null;
}

/**
 * What an admin did (or tried: a refused sign-in), named `area.verb`: `member.adjust`,
 * `member.credit`, `redemptions.cancel`, `outbox.retry`, `settings.update`, `auth.sign_in`. Not a top-level
 * section of the locale files (`admin.`, `redemption.`): the locale tests read such strings as keys.
 * The list is open: a new page adds its own verbs.
 */
export interface NewAuditEntry {
  /** Role `none` for someone not signed in (a refused sign-in). */
  actor: Omit<AdminIdentity, 'role'> & { role: AdminRole | 'none' };
  action: string;
  /** What it acted on, `member:42`, `redemption:7`, `setting:earn_rates`; null for a sign-in. */
  target: string | null;
  before?: unknown;
  after?: unknown;
  origin: AuditOrigin;
  at: Date;
}

export interface AuditEntry {
  id: number;
  actorId: string;
  actorName: string;
  role: string;
  action: string;
  target: string | null;
  before: unknown;
  after: unknown;
  at: Date;
  ip: string | null;
  requestId: string | null;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  from?: Date;
  /** Exclusive: the day after the last day shown. */
  to?: Date;
}

/** Who is acting in an admin request, and from where: what every admin write takes first. */
export interface AdminContext {
  admin: AdminIdentity;
  origin: AuditOrigin;
}

/** Whoever tried to sign in and was refused: not anyone we know yet. */
export const ANONYMOUS = { id: 'anonymous', name: 'anonymous', role: 'none' } as const;

/** The actor a transaction of this admin's writes with (ledger rows say `admin:<id>`). */
export function adminActor(admin: AdminIdentity): { kind: 'admin'; adminId: string; role: AdminRole } {
  return { kind: 'admin', adminId: admin.id, role: admin.role };
}
