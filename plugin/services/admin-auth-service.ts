import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { ANONYMOUS, type AdminContext, type AdminIdentity, type AuditOrigin } from '../domain/audit';
import { isLocked, NO_FAILURES, reserveAttempt, type LockoutRule } from '../domain/sign-in-lockout';
import type { Database } from '../db/database';
import { AppError, UnauthorizedError, ValidationError } from '../errors';
import type { Logger } from '../logger';
import type { AdminPrincipal, AdminSession, AuthService } from './auth-service';
import type { AuditService } from './audit-service';

/** The standalone sign-in's one account. */
export const OWNER: AdminIdentity = { id: 'owner', name: 'owner', role: 'owner' };
/** bcrypt's work factor: about a tenth of a second per check in plain JS. */
const BCRYPT_ROUNDS = 11;
const SETUP_LINK_HOURS = 24;
export const PASSWORD_MIN = 12;
/** bcrypt reads at most 72 bytes. */
export const PASSWORD_MAX_BYTES = 72;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export type SignInMethod = 'sso' | 'password' | 'setup';

/**
 * Admin sign-in besides the panel's SSO: the owner's password (ADMIN_PASSWORD, kept as a
 * bcrypt hash) or, until one exists, a one-time setup link. Wrong passwords count towards a
 * lockout (a count on the account's row, shared by instances); sign-ins, refusals and
 * lockouts are audited.
 */
export class AdminAuthService {
  constructor(
    private readonly db: Database,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
    private readonly clock: () => Date,
    private readonly logger: Logger,
    private readonly options: { password?: string; lockout: LockoutRule },
  ) {}

  /** Stores ADMIN_PASSWORD's hash when it changed (the password itself is never stored). */
  async init(): Promise<void> {
    const { password } = this.options;
    if (password === undefined) return;
    const stored = await this.db.repos.adminCredentials.find(OWNER.id);
    if (stored?.passwordHash && (await bcrypt.compare(password, stored.passwordHash))) return;
    const hash = await bcrypt.hash(password, BCRYPT_ROUNDS);
    await this.db.transaction((tx) => tx.repos.adminCredentials.setPassword(OWNER.id, hash, tx.now));
    this.logger.info({ account: OWNER.id }, 'admin owner password set from ADMIN_PASSWORD');
  }

  /**
   * A fresh one-time setup link's token while the owner has no password (null once they
   * have one), replacing any earlier link: only whoever prints it should call this (the
   * sidecar at start-up), not every process that starts the plugin (a job run would void the
   * printed link). The token is stored hashed only.
   */
  async newSetupToken(): Promise<string | null> {
    if (this.options.password !== undefined) return null;
    const stored = await this.db.repos.adminCredentials.find(OWNER.id);
    if (stored?.passwordHash) return null;
    const token = randomBytes(24).toString('base64url');
    const expires = new Date(this.clock().getTime() + SETUP_LINK_HOURS * 3_600_000);
    await this.db.transaction((tx) => tx.repos.adminCredentials.setSetupToken(OWNER.id, sha256(token), expires, tx.now));
    return token;
  }

  /** The principal of a panel admin's SSO token, audited either way. */
  async signInWithSso(token: string, origin: AuditOrigin): Promise<AdminPrincipal> {
    let principal: AdminPrincipal;
    try {
      principal = await this.auth.acceptAdminSsoToken(token);
    } catch (err) {
      if (err instanceof AppError) await this.refused(origin, null, { method: 'sso', code: err.code, message: err.message });
      throw err;
    }
    await this.signedIn(principal, origin, 'sso');
    return principal;
  }

  /**
   * The owner's password. The check takes its place in the lockout count first, in a
   * transaction holding the account's row, and only then runs bcrypt: however many sign-ins
   * arrive together, at most ADMIN_LOCKOUT_FAILURES passwords are compared per lockout, and
   * the one check that fills the count is the one that audits the lockout. A right password
   * forgets the count; once it is full, even the right one waits for the lockout to end.
   */
  async signInWithPassword(password: string, origin: AuditOrigin): Promise<AdminPrincipal> {
    const rule = this.options.lockout;
    const reserved = await this.db.transaction(async (tx) => {
      const stored = await tx.repos.adminCredentials.find(OWNER.id, { forUpdate: true });
      if (!stored?.passwordHash) return null;
      const reservation = reserveAttempt(stored.failedSignIns, tx.now, rule);
      if (reservation.allowed) await tx.repos.adminCredentials.setFailedSignIns(OWNER.id, reservation.next);
      return { passwordHash: stored.passwordHash, reservation };
    });
    if (!reserved) {
      throw new UnauthorizedError('admin_password_unset', {
        message: 'No owner password is set',
        help: 'Set ADMIN_PASSWORD and restart, or open the one-time setup link printed at start-up; admins from the panel sign in by SSO.',
      });
    }
    const { reservation } = reserved;
    if (!reservation.allowed) {
      this.logger.warn({ account: OWNER.id, ip: origin.ip }, 'admin sign-in refused: locked out');
      throw lockedError(reservation.retryAfterSeconds);
    }
    const right = password.length > 0 && Buffer.byteLength(password, 'utf8') <= PASSWORD_MAX_BYTES && (await bcrypt.compare(password, reserved.passwordHash));
    if (!right) {
      const lockedNow = await this.db.transaction(async (tx) => {
        await this.audit.record(tx, { admin: ANONYMOUS, origin }, { action: 'auth.sign_in_failed', target: `admin:${OWNER.id}`, after: { method: 'password', code: 'admin_password_wrong' } });
        if (!reservation.locks) return false;
        // A right password checked meanwhile may have forgotten the count: then nothing locked.
        const stored = await tx.repos.adminCredentials.find(OWNER.id, { forUpdate: true });
        if (!stored || !isLocked(stored.failedSignIns, tx.now, rule)) return false;
        await this.audit.record(tx, { admin: ANONYMOUS, origin }, { action: 'auth.locked_out', target: `admin:${OWNER.id}`, after: { failures: rule.failures, minutes: rule.minutes } });
        return true;
      });
      if (lockedNow) this.logger.warn({ account: OWNER.id, ip: origin.ip, failures: rule.failures }, 'admin owner sign-in locked after repeated wrong passwords');
      throw new UnauthorizedError('admin_password_wrong', {
        message: 'Wrong password',
        help: `Check the owner password; after ${rule.failures} wrong ones in a row the sign-in locks for a while.`,
        fields: [{ path: 'password', message: 'is not the owner password' }],
      });
    }
    const principal: AdminPrincipal = { kind: 'admin', adminId: OWNER.id, name: OWNER.name, role: 'owner' };
    await this.db.transaction(async (tx) => {
      await tx.repos.adminCredentials.setFailedSignIns(OWNER.id, NO_FAILURES);
      await this.audit.record(tx, { admin: OWNER, origin }, { action: 'auth.sign_in', target: null, after: { method: 'password' } });
    });
    return principal;
  }

  /** Whether a setup link is the live one (for showing its form). */
  async setupLinkValid(token: string): Promise<boolean> {
    const stored = await this.db.repos.adminCredentials.find(OWNER.id);
    return !!stored?.setupTokenHash && stored.setupTokenHash === sha256(token) && !!stored.setupExpiresAt && stored.setupExpiresAt > this.clock();
  }

  /** Sets the owner password through the setup link, once; the owner is signed in. */
  async setUpOwner(input: { token: string; password: string; confirm: string }, origin: AuditOrigin): Promise<AdminPrincipal> {
    const fields = passwordProblems(input.password, input.confirm);
    if (fields.length > 0) throw new ValidationError(fields, 'Choose a password of at least 12 characters and type it twice.');
    const hash = await bcrypt.hash(input.password, BCRYPT_ROUNDS);
    const principal: AdminPrincipal = { kind: 'admin', adminId: OWNER.id, name: OWNER.name, role: 'owner' };
    const done = await this.db.transaction(async (tx) => {
      if (!(await tx.repos.adminCredentials.setPasswordWithSetupToken(OWNER.id, sha256(input.token), hash, tx.now))) return false;
      await this.audit.record(tx, { admin: OWNER, origin }, { action: 'auth.password_set', target: `admin:${OWNER.id}`, after: { method: 'setup' } });
      return true;
    });
    if (!done) throw setupInvalid();
    await this.signedIn(principal, origin, 'setup');
    return principal;
  }

  /**
   * Ends the session on the server, not only in this browser: its token is listed as revoked
   * until it expires, so a copy of the cookie no longer opens the admin area on any instance.
   * Only this session ends; the admin's others (another browser, another person sharing the
   * owner account) go on.
   */
  async signedOut(ctx: AdminContext, session: AdminSession): Promise<void> {
    await this.db.transaction(async (tx) => {
      const revoked = await tx.repos.adminSessions.revoke({ id: session.id, adminId: ctx.admin.id, expiresAt: session.expiresAt }, tx.now);
      if (revoked) await this.audit.record(tx, ctx, { action: 'auth.sign_out', target: null });
    });
    // The list holds each revoked token only until it would have expired anyway.
    await this.db.repos.adminSessions.purgeExpired(this.clock());
  }

  private async signedIn(principal: AdminPrincipal, origin: AuditOrigin, method: SignInMethod): Promise<void> {
    await this.audit.recordAlone({ admin: identityOf(principal), origin }, { action: 'auth.sign_in', target: null, after: { method } });
  }

  private async refused(origin: AuditOrigin, target: string | null, after: Record<string, string>): Promise<void> {
    await this.audit.recordAlone({ admin: ANONYMOUS, origin }, { action: 'auth.sign_in_failed', target, after });
  }
}

export function identityOf(principal: AdminPrincipal): AdminIdentity {
  return { id: principal.adminId, name: principal.name, role: principal.role };
}

export function setupInvalid(): UnauthorizedError {
  return new UnauthorizedError('admin_setup_invalid', {
    message: 'This setup link is not valid: it was used, replaced by a newer one, or it expired',
    help: 'Restart the plugin without ADMIN_PASSWORD to print a fresh link, or set ADMIN_PASSWORD.',
  });
}

function lockedError(retryAfterSeconds: number): AppError {
  return new AppError(429, 'admin_locked', {
    message: `The owner sign-in is locked after repeated wrong passwords; try again in ${retryAfterSeconds} s`,
    help: 'Wait, or sign in through the panel (admin SSO). The lockout is set by ADMIN_LOCKOUT_FAILURES and ADMIN_LOCKOUT_MINUTES.',
    retryAfterSeconds,
  });
}

function passwordProblems(password: string, confirm: string): Array<{ path: string; message: string }> {
  const fields = [];
  if (password.length < PASSWORD_MIN) fields.push({ path: 'password', message: `must be at least ${PASSWORD_MIN} characters` });
  else if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) fields.push({ path: 'password', message: `must be at most ${PASSWORD_MAX_BYTES} bytes` });
  if (confirm !== password) fields.push({ path: 'confirm', message: 'must repeat the password' });
  return fields;
}
