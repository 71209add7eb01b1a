import type { Knex } from 'knex';
import { insertOrDuplicate } from './insert-or-duplicate';

export const SSO_TOKENS = 'loyalty_sso_tokens';

export class SsoTokenRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** Records the token id as spent; false when it was spent before (a replayed link). */
  async markUsed(jti: string, subject: string, expiresAt: Date, now: Date): Promise<boolean> {
    return (await insertOrDuplicate(this.db(SSO_TOKENS).insert({ jti, subject, expires_at: expiresAt, used_at: now }))) !== null;
  }

  /** A token past its expiry can't be replayed anyway, so its id need not be kept. */
  async purgeExpired(now: Date): Promise<number> {
    return this.db(SSO_TOKENS).where('expires_at', '<', now).delete();
  }
}
