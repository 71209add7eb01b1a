import type { Knex } from 'knex';
import { insertOrDuplicate } from './insert-or-duplicate';

export const ADMIN_REVOKED_SESSIONS = 'loyalty_admin_revoked_sessions';

/** An admin session as its token names it: the token's `jti`, whose admin, and when it expires. */
export interface AdminSessionRef {
  id: string;
  adminId: string;
  expiresAt: Date;
}

/**
 * Admin sessions ended before their token expires (signed out). The token alone would
 * open the admin area until then, so every admin request asks here, by primary key.
 */
export class AdminSessionRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async isRevoked(id: string): Promise<boolean> {
    return (await this.db(ADMIN_REVOKED_SESSIONS).where({ session_id: id }).first('session_id')) !== undefined;
  }

  /** False when it was revoked before (two sign-outs of one session at once). */
  async revoke(session: AdminSessionRef, now: Date): Promise<boolean> {
    const row = { session_id: session.id, admin_id: session.adminId, expires_at: session.expiresAt, revoked_at: now };
    return (await insertOrDuplicate(this.db(ADMIN_REVOKED_SESSIONS).insert(row))) !== null;
  }

  /** A token past its expiry is refused by its signature check alone: its row need not be kept. */
  async purgeExpired(now: Date): Promise<number> {
    return this.db(ADMIN_REVOKED_SESSIONS).where('expires_at', '<', now).delete();
  }
}
