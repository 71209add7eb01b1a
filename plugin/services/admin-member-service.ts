import { adminActor, type AdminContext } from '../domain/audit';
import type { ChurnReason } from '../domain/churn';
import type { LedgerEntry } from '../domain/ledger';
import type { Lot } from '../domain/lot';
import type { Member } from '../domain/member';
import { currencyDigits, parseMoney, type Money } from '../domain/money';
import { creditExpiry, type Program } from '../domain/program';
import { actionNames, type ActionName } from '../domain/rules';
import type { Redemption } from '../domain/redemption';
import type { Reward } from '../domain/rewards';
import type { Tier, TierChange } from '../domain/tiers';
import type { FieldProblem } from '../domain/validation';
import type { Database } from '../db/database';
import type { Tx } from '../db/unit-of-work';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { OutboxEntry } from '../repositories/outbox-repository';
import type { AuditService } from './audit-service';
import type { ChurnService } from './churn-service';
import { MemberAccount } from './member-account';

export type { OutboxEntry } from '../repositories/outbox-repository';

export const MEMBER_PAGE_SIZE = 25;
export const LEDGER_PAGE_SIZE = 25;
/** What one adjustment may move: far above any real correction, far below a safe integer. */
export const MAX_ADJUST_POINTS = 100_000_000;
export const MAX_ADJUST_REASON = 500;
/** The panel's line for a credit: the panel's description column (255) with room for a reference. */
export const MAX_CREDIT_REASON = 200;
/** The one-time key of an admin form: random, URL-safe. */
export const FORM_KEY_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export interface MemberDetail {
  member: Member;
  tier: Tier | null;
  tiers: readonly Tier[];
  /** What each action rule calls its action, by the ledger `rule` of its awards (the ledger's reasons name actions with it). */
  actionNames: Record<string, ActionName>;
  lots: Lot[];
  tierChanges: TierChange[];
  ledger: { entries: LedgerEntry[]; hasOlder: boolean };
  redemptions: Array<{ redemption: Redemption; reward: Reward | null }>;
  actions: OutboxEntry[];
  churn: { reasons: ChurnReason[]; flaggedAt: Date } | null;
}

export interface AdjustInput {
  key: string;
  direction: string;
  points: string;
  reason: string;
  allowDebt: boolean;
}

export type AdjustResult =
  | { ok: true; repeated: boolean; delta: number; member: Member }
  | { ok: false; refusal: 'not_enough_points'; balance: number };

export interface CreditInput {
  key: string;
  amount: string;
  currency: string;
  reason: string;
}

export type CreditResult = { ok: true; repeated: boolean; action: OutboxEntry; amount: Money };

/** A refusal rolls the unit of work back: nothing it read on the way is written. */
class Refused extends Error {
  constructor(readonly result: Extract<AdjustResult, { ok: false }>) {
    super(result.refusal);
  }
}

const adjustReference = (key: string) => `admin-adjust:${key}`;
const creditKey = (key: string) => `admin-credit:${key}`;

/**
 * The admin area's members: search, a member's page, manual adjustment of points and account
 * credit. Each write locks the member, is keyed by the form's one-time key (the same form posted
 * twice is one change) and writes its audit row in its own unit of work.
 */
export class AdminMemberService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly program: () => Promise<Program>,
    private readonly tiers: () => Promise<readonly Tier[]>,
    private readonly churn: ChurnService,
  ) {}

  /** Newest first; `next` continues below the last one shown (null on the last page). */
  async search(term: string | null, before: number | null, limit = MEMBER_PAGE_SIZE): Promise<{ members: Member[]; next: number | null }> {
    const rows = await this.db.repos.members.search(term, before, limit + 1);
    const members = rows.slice(0, limit);
    return { members, next: rows.length > limit ? (members.at(-1)?.id ?? null) : null };
  }

  async detail(memberId: number, options: { ledgerBefore?: number } = {}): Promise<MemberDetail | null> {
    const repos = this.db.repos;
    const member = await repos.members.findById(memberId);
    if (!member) return null;
    const [tiers, program, lots, tierChanges, ledger, redemptions, actions, churn, rewards] = await Promise.all([
      this.tiers(),
      this.program(),
      repos.lots.withRemaining(member.id),
      repos.tiers.changesFor(member.id, 50),
      repos.ledger.pageForMember(member.id, { beforeId: options.ledgerBefore, limit: LEDGER_PAGE_SIZE }),
      repos.redemptions.listForMember(member.id, 50),
      repos.outbox.forClient(member.panelClientId, 50),
      this.churn.flagOf(member.id),
      repos.rewards.list(),
    ]);
    const byId = new Map(rewards.map((r) => [r.id, r]));
    return {
      member,
      tier: tiers.find((t) => t.id === member.tierId) ?? null,
      tiers,
      actionNames: actionNames(program.rules),
      lots,
      tierChanges,
      ledger,
      redemptions: redemptions.map((redemption) => ({ redemption, reward: byId.get(redemption.rewardId) ?? null })),
      actions,
      churn,
    };
  }

  /**
   * Adds or removes points as an `adjust` ledger entry with the admin as its actor. Removing
   * more than the member's balance (available and pending) is refused unless `allowDebt`.
   * The form's key makes a second post of it return the first adjustment.
   */
  async adjust(ctx: AdminContext, memberId: number, input: AdjustInput): Promise<AdjustResult> {
    const fields: FieldProblem[] = [];
    if (!FORM_KEY_PATTERN.test(input.key)) fields.push({ path: 'key', message: 'must be the one-time key of the adjustment form' });
    if (input.direction !== 'add' && input.direction !== 'remove') fields.push({ path: 'direction', message: 'must be add or remove' });
    const points = /^[1-9]\d{0,8}$/.test(input.points.trim()) ? Number(input.points.trim()) : NaN;
    if (!(points >= 1 && points <= MAX_ADJUST_POINTS)) fields.push({ path: 'points', message: `must be a whole number from 1 to ${MAX_ADJUST_POINTS}` });
    const reason = input.reason.trim();
    if (reason.length === 0 || reason.length > MAX_ADJUST_REASON) fields.push({ path: 'reason', message: `is required, at most ${MAX_ADJUST_REASON} characters` });
    if (fields.length > 0) throw new ValidationError(fields, 'Fix the listed fields and submit the form again.');
    const delta = input.direction === 'add' ? points : -points;
    const program = await this.program();
    try {
      return await this.db.transaction(
        async (tx) => {
          const account = await lockMember(tx, memberId);
          const reference = adjustReference(input.key);
          // Under the lock, so a double post waits for the first and then finds it.
          const earlier = await tx.repos.ledger.firstWithReference(account.member.id, reference);
          if (earlier) return { ok: true as const, repeated: true, delta: earlier.delta, member: account.member };
          const before = balances(account.member);
          const entry = { points, reasonCode: 'admin_adjustment', reasonParams: { reason }, reference };
          if (delta > 0) {
            const expiry = creditExpiry(program, tx.now);
            await account.credit({ ...entry, kind: 'adjust', earnedAt: tx.now, availableAt: tx.now, expiresAt: expiry.expiresAt, extendsOpenLots: expiry.extendsOpenLots });
          } else {
            const balance = account.member.pointsAvailable + account.member.pointsPending;
            if (points > balance && !input.allowDebt) throw new Refused({ ok: false, refusal: 'not_enough_points', balance });
            // Ticked "allow debt": the balance goes below zero, whatever the program's debt policy.
            await account.debit({ ...entry, kind: 'adjust', reducesLifetime: false, debtPolicy: 'debt' });
          }
          await this.audit.record(tx, ctx, {
            action: 'member.adjust',
            target: `member:${account.member.id}`,
            before,
            after: { ...balances(account.member), delta, reason, allowDebt: input.allowDebt },
          });
          return { ok: true as const, repeated: false, delta, member: account.member };
        },
        { actor: adminActor(ctx.admin) },
      );
    } catch (err) {
      if (err instanceof Refused) return err.result;
      throw err;
    }
  }

  /**
   * Queues account credit for the member in the panel (`client.credit`, keyed by the form's
   * one-time key, so the panel applies it once), with its audit row, in one unit of work.
   */
  async credit(ctx: AdminContext, memberId: number, input: CreditInput): Promise<CreditResult> {
    const fields: FieldProblem[] = [];
    if (!FORM_KEY_PATTERN.test(input.key)) fields.push({ path: 'key', message: 'must be the one-time key of the credit form' });
    const currency = input.currency.trim().toUpperCase();
    let amount: Money | null = null;
    if (currencyDigits(currency) === undefined) fields.push({ path: 'currency', message: 'must be an ISO 4217 currency code such as USD' });
    else {
      const parsed = parseMoney(input.amount.trim(), currency);
      if (!parsed.ok) fields.push({ path: 'amount', message: parsed.message });
      else if (parsed.value.minor <= 0) fields.push({ path: 'amount', message: 'must be more than zero' });
      else amount = parsed.value;
    }
    const reason = input.reason.trim();
    if (reason.length === 0 || reason.length > MAX_CREDIT_REASON) fields.push({ path: 'reason', message: `is required, at most ${MAX_CREDIT_REASON} characters` });
    if (fields.length > 0 || amount === null) throw new ValidationError(fields, 'Fix the listed fields and submit the form again.');
    const money = amount;
    return this.db.transaction(
      async (tx) => {
        const account = await lockMember(tx, memberId);
        const key = creditKey(input.key);
        const earlier = await tx.repos.outbox.findByKey(key);
        if (earlier) {
          if ((earlier.payload as { clientId?: unknown }).clientId !== account.member.panelClientId) throw keyConflict();
          return { ok: true as const, repeated: true, action: earlier, amount: (earlier.payload as { amount: Money }).amount };
        }
        // The panel credits the client's own account: in another currency it would be a different sum.
        if (account.member.currency !== null && account.member.currency !== money.currency) {
          throw new ValidationError([{ path: 'currency', message: `must be the member's currency, ${account.member.currency}` }], 'Enter the amount in the currency the client is billed in.');
        }
        const { entry } = await tx.repos.outbox.enqueue('client.credit', { clientId: account.member.panelClientId, amount: money, description: reason }, key, tx.now);
        await this.audit.record(tx, ctx, {
          action: 'member.credit',
          target: `member:${account.member.id}`,
          after: { amount: money, reason, outboxId: entry.id, idempotencyKey: key },
        });
        return { ok: true as const, repeated: false, action: entry, amount: money };
      },
      { actor: adminActor(ctx.admin) },
    );
  }
}

async function lockMember(tx: Tx, memberId: number): Promise<MemberAccount> {
  const account = await MemberAccount.lock(tx, { id: memberId });
  if (!account) throw new NotFoundError('not_found', { message: `No member ${memberId}` });
  return account;
}

function balances(m: Member): { available: number; pending: number; lifetime: number } {
  return { available: m.pointsAvailable, pending: m.pointsPending, lifetime: m.pointsLifetime };
}

function keyConflict(): ConflictError {
  return new ConflictError('admin_form_key_conflict', {
    message: 'This form key was used for another member',
    help: 'Reload the member page: each form carries a fresh key.',
    fields: [{ path: 'key', message: 'was used for another member' }],
  });
}
