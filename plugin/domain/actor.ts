/** Who caused a change: recorded on every ledger (and later audit) row. */
export type AdminRole = 'viewer' | 'billing' | 'owner';

export type Actor =
  | { kind: 'system' }
  | { kind: 'client'; clientId: string }
  | { kind: 'admin'; adminId: string; role: AdminRole };

/** Billing events, jobs and the program's own rules act as the system. */
export const SYSTEM_ACTOR: Actor = { kind: 'system' };

/** The actor as a ledger row stores it: `system`, `client:42`, `admin:7`. */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case 'system':
      return 'system';
    case 'client':
      return `client:${actor.clientId}`;
    case 'admin':
      return `admin:${actor.adminId}`;
  }
}
