import type { Knex } from 'knex';
import type { FailureCount } from '../domain/sign-in-lockout';
import { toDateOrNull, toInt } from './row-values';

export const ADMIN_CREDENTIALS = 'loyalty_admin_credentials';

export interface AdminCredential {
  account: string;
  passwordHash: string | null;
  setupTokenHash: string | null;
  setupExpiresAt: Date | null;
  /** Wrong (or still unchecked) passwords towards the lockout. */
  failedSignIns: FailureCount;
}

/** The standalone sign-in's secrets: a password hash, or a pending setup token's hash. */
export class AdminCredentialRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /**
   * With `forUpdate`, the row stays locked until the transaction ends: the lockout count is
   * read and raised by one sign-in at a time.
   */
  async find(account: string, options: { forUpdate?: boolean } = {}): Promise<AdminCredential | null> {
    const q = this.db(ADMIN_CREDENTIALS).where({ account }).first();
    if (options.forUpdate) void q.forUpdate();
    const row = await q;
    if (!row) return null;
    return {
      account: String(row.account),
      passwordHash: (row.password_hash as string | null) ?? null,
      setupTokenHash: (row.setup_token_hash as string | null) ?? null,
      setupExpiresAt: toDateOrNull(row.setup_expires_at),
      failedSignIns: { failures: toInt(row.failed_sign_ins), until: toDateOrNull(row.failed_sign_ins_until) },
    };
  }

  async setFailedSignIns(account: string, count: FailureCount): Promise<void> {
    await this.db(ADMIN_CREDENTIALS).where({ account }).update({ failed_sign_ins: count.failures, failed_sign_ins_until: count.until });
  }

  /** Sets the password and retires any setup link. */
  async setPassword(account: string, passwordHash: string, now: Date): Promise<void> {
    const values = { password_hash: passwordHash, setup_token_hash: null, setup_expires_at: null, updated_at: now };
    const n = await this.db(ADMIN_CREDENTIALS).where({ account }).update(values);
    if (n === 0) await this.db(ADMIN_CREDENTIALS).insert({ account, ...values });
  }

  /** A new setup link for an account without a password (replaces an older link). */
  async setSetupToken(account: string, tokenHash: string, expiresAt: Date, now: Date): Promise<void> {
    const values = { setup_token_hash: tokenHash, setup_expires_at: expiresAt, updated_at: now };
    const n = await this.db(ADMIN_CREDENTIALS).where({ account }).update(values);
    if (n === 0) await this.db(ADMIN_CREDENTIALS).insert({ account, password_hash: null, ...values });
  }

  /**
   * Spends a setup link and sets the password in one conditional update: of two posts of the
   * same link, one wins and the other finds it gone.
   */
  async setPasswordWithSetupToken(account: string, tokenHash: string, passwordHash: string, now: Date): Promise<boolean> {
    const n = await this.db(ADMIN_CREDENTIALS)
      .where({ account, setup_token_hash: tokenHash })
      .andWhere('setup_expires_at', '>', now)
      .update({ password_hash: passwordHash, setup_token_hash: null, setup_expires_at: null, updated_at: now });
    return n === 1;
  }
}
