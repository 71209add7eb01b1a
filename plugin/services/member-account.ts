import { randomInt } from 'node:crypto';
import { actorLabel, SYSTEM_ACTOR } from '../domain/actor';
import type { ClientInfo } from '../domain/billing-event';
import type { LedgerKind, NewLedgerEntry } from '../domain/ledger';
import type { Lot, NewLot } from '../domain/lot';
import type { Member, MemberProfile, ServiceSummary } from '../domain/member';
import type { SpentLot } from '../domain/redemption';
import { planExpiry } from '../domain/expiry-plan';
import { MAX_POINTS, pointsLimitProblem, pointsLimitRefusal } from '../domain/points';
import { debtOf, planDraw, planRelease, type DrawOrder } from '../domain/reversal';
import type { Tx } from '../db/unit-of-work';
import { ValidationError } from '../errors';

/** What every ledger entry says about itself: why, under which rule, for what. */
interface EntryFields {
  points: number;
  reasonCode: string;
  reasonParams?: Record<string, string | number>;
  rule?: string;
  reference?: string;
  /** The inbox row of the billing event that caused it, if one did. */
  eventId?: number;
}

export interface Credit extends EntryFields {
  /** `adjust`: points an admin added by hand, or an imported opening balance. */
  kind: Extract<LedgerKind, 'earn' | 'bonus' | 'adjust'>;
  earnedAt: Date;
  /** Later than `tx.now` makes the points pending until then. */
  availableAt: Date;
  expiresAt: Date | null;
  /**
   * The inactivity policy (domain/expiry-policy.ts): earning moves the member's open lots on
   * to `expiresAt`, so their whole balance expires once they stop earning. Never shortens.
   */
  extendsOpenLots?: boolean;
}

export interface Debit extends EntryFields {
  kind: Extract<LedgerKind, 'reverse' | 'adjust'>;
  /** The reversed invoice's own earns, drawn first as `drawOrder` says. */
  ownLedgerIds?: ReadonlySet<number>;
  /** `own_first` unless given; a refund draws `pending_first` (domain/reversal.ts `planDraw`). */
  drawOrder?: DrawOrder;
  /** Whether the debit lowers lifetime points (a reversed earn does; a penalty doesn't). */
  reducesLifetime: boolean;
  debtPolicy: 'debt' | 'write_off';
}

export interface DebitResult {
  fromPending: number;
  fromAvailable: number;
  /** Points that were already spent. */
  shortfall: number;
  writtenOff: number;
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function referralCode(): string {
  let code = '';
  for (let i = 0; i < 10; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** What a member holds (available and pending) and has earned, as `pointsLimitProblem` weighs them. */
export const heldBy = (m: Pick<Member, 'pointsAvailable' | 'pointsPending' | 'pointsLifetime'>) => ({ held: m.pointsAvailable + m.pointsPending, lifetime: m.pointsLifetime });

/**
 * Refuses (422, nothing written: the caller's transaction rolls back) points that would take an
 * event's award or the member past `MAX_POINTS` (domain/points.ts), on `path`: the field of the
 * input the points come from.
 */
export function refusePointsPastLimit(member: { held: number; lifetime: number }, points: number | bigint, path: string): void {
  const problem = pointsLimitProblem(member, points);
  if (problem !== null) throw pointsLimitError(path, problem);
}

/** The refusal of points past `MAX_POINTS`, on `path`, for `problem` (domain/points.ts words it). */
export function pointsLimitError(path: string, problem: string): ValidationError {
  return new ValidationError(
    [pointsLimitRefusal(path, problem)],
    `Check the program’s earn rates and multipliers, and the amounts sent: one event awards, and one member holds and earns, at most ${MAX_POINTS} points. Nothing was written.`,
  );
}

/** The accounts a transaction has locked, so a second `lock` of a member returns the same one. */
const lockedIn = new WeakMap<Tx, Map<number, MemberAccount>>();

/**
 * What crediting `c` does to a member: their balances after, and the lot it opens. Spendable
 * points pay off a debt first (the lot keeps only the rest); pending ones do so when released.
 */
function creditEffect(member: Member, c: Credit, now: Date): { next: Member; lot: Omit<NewLot, 'ledgerId'> } {
  const pending = c.availableAt > now;
  const netted = pending ? 0 : Math.min(c.points, debtOf(member.pointsAvailable));
  return {
    next: {
      ...member,
      pointsAvailable: member.pointsAvailable + (pending ? 0 : c.points),
      pointsPending: member.pointsPending + (pending ? c.points : 0),
      pointsLifetime: member.pointsLifetime + c.points,
    },
    lot: { memberId: member.id, points: c.points, remaining: c.points - netted, pending, earnedAt: c.earnedAt, availableAt: c.availableAt, expiresAt: c.expiresAt },
  };
}

/**
 * One member's balances inside one transaction, under their row lock: the only code that writes
 * `points_*`, the ledger and the lots. It holds the member as this transaction has left it, so
 * nothing re-reads the row or threads a stale copy between steps. The ledger entries, the lots
 * and the cached balances are written together, and every check (a balance, a once-only bonus)
 * made under the lock can't race another transaction of the same member.
 */
export class MemberAccount {
  private constructor(
    private readonly tx: Tx,
    private current: Member,
    /** True when this transaction enrolled the member. */
    readonly enrolled: boolean,
  ) {}

  /**
   * Locks a member's row (SELECT … FOR UPDATE) for the rest of the transaction: read-then-write
   * of a balance without it overspends on MariaDB (DESIGN §10). Null when there is no such member.
   */
  static async lock(tx: Tx, by: { id: number } | { panelClientId: string }): Promise<MemberAccount | null> {
    const held = [...(lockedIn.get(tx)?.values() ?? [])];
    const known = held.find((a) => ('id' in by ? a.member.id === by.id : a.member.panelClientId === by.panelClientId));
    if (known) return known;
    const member =
      'id' in by
        ? await tx.repos.members.findById(by.id, { forUpdate: true })
        : await tx.repos.members.findByPanelClientId(by.panelClientId, { forUpdate: true });
    return member && MemberAccount.hold(tx, member, false);
  }

  /** Locks the member for a panel client, enrolling them from the event's client block when new. */
  static async enrol(tx: Tx, client: ClientInfo): Promise<MemberAccount> {
    const existing = await MemberAccount.lock(tx, { panelClientId: client.id });
    if (existing) return existing;
    // A clash is either a concurrent enrolment of the same client (read it back, locked) or,
    // at 50 bits, an all but impossible referral-code collision (try another code).
    for (let attempt = 0; attempt < 3; attempt++) {
      const fresh = { ...client, panelClientId: client.id, referralCode: referralCode(), joinedAt: tx.now };
      const id = await tx.repos.members.insert(fresh);
      if (id !== null) {
        const member: Member = {
          id,
          panelClientId: client.id,
          email: client.email ?? null,
          name: client.name ?? null,
          locale: client.locale ?? null,
          currency: client.currency ?? null,
          birthday: client.birthday ?? null,
          referralCode: fresh.referralCode,
          joinedAt: fresh.joinedAt,
          pointsAvailable: 0,
          pointsPending: 0,
          pointsLifetime: 0,
          status: 'active',
          tierId: null,
          tierBelowSince: null,
          servicesActive: 0,
          servicesSuspended: 0,
          firstServiceAt: null,
          suspendedSince: null,
          profileAt: null,
          tierRecheckAt: null,
        };
        return MemberAccount.hold(tx, member, true);
      }
      const raced = await MemberAccount.lock(tx, { panelClientId: client.id });
      if (raced) return raced;
    }
    throw new Error(`Could not enrol panel client ${client.id}: repeated key conflicts`);
  }

  /**
   * Locks several members in ascending id order (the order every multi-member lock takes, so
   * no deadlock cycle), returning them in that order; those this transaction holds already are
   * reused. Ids with no member are left out.
   */
  static async lockMany(tx: Tx, ids: readonly number[]): Promise<MemberAccount[]> {
    const sorted = [...new Set(ids)].sort((a, b) => a - b);
    const held = lockedIn.get(tx);
    for (const member of await tx.repos.members.lockMany(sorted.filter((id) => !held?.has(id)))) MemberAccount.hold(tx, member, false);
    return sorted.map((id) => lockedIn.get(tx)?.get(id)).filter((a): a is MemberAccount => a !== undefined);
  }

  /**
   * `lockMany` for a batch of payments, with each member's spend in `months` and whether a
   * pending lot of theirs is due for release by now, read once every lock is held.
   */
  static async lockManyWithSpend(
    tx: Tx,
    ids: readonly number[],
    months: readonly string[],
  ): Promise<Array<{ account: MemberAccount; spend: Array<{ month: string; amountMinor: number }>; releaseDue: boolean }>> {
    const accounts = await MemberAccount.lockMany(tx, ids);
    const facts = await tx.repos.members.paymentFacts(
      accounts.map((a) => a.current.id),
      months,
    );
    return accounts.map((account) => {
      const { spend = [], nextReleaseAt = null } = facts.get(account.current.id) ?? {};
      return { account, spend, releaseDue: nextReleaseAt !== null && nextReleaseAt <= tx.now };
    });
  }

  /**
   * Enrols several new panel clients at once (a backfill's batch). A client another
   * transaction enrolled meanwhile fails the insert, and with it the caller's transaction,
   * which then starts over and finds them enrolled.
   */
  static async enrolMany(tx: Tx, clients: readonly ClientInfo[]): Promise<MemberAccount[]> {
    if (clients.length === 0) return [];
    const members = await tx.repos.members.insertMany(clients.map((c) => ({ ...c, panelClientId: c.id, referralCode: referralCode(), joinedAt: tx.now })));
    return members.map((m) => MemberAccount.hold(tx, m, true));
  }

  /**
   * `credit` for many members at once, in a handful of statements: each account's credits are
   * applied in the order given (balances, debt netting and balance-after exactly as `credit`
   * computes them), then one insert of the entries, one of the lots and one update of the
   * balances. The accounts must be held by this transaction. Returns the points credited.
   */
  static async creditMany(tx: Tx, credits: ReadonlyArray<{ account: MemberAccount; credit: Credit }>): Promise<number> {
    const entries: NewLedgerEntry[] = [];
    const lots: Array<Omit<NewLot, 'ledgerId'>> = [];
    const changed = new Set<MemberAccount>();
    const extend = new Map<MemberAccount, Date>();
    let total = 0;
    for (const { account, credit: c } of credits) {
      if (lockedIn.get(tx)?.get(account.current.id) !== account) throw new Error(`member ${account.current.id} is not held by this transaction`);
      if (!Number.isSafeInteger(c.points) || c.points <= 0) throw new Error(`credit needs positive points, got ${c.points}`);
      const member = account.current;
      refusePointsPastLimit(heldBy(member), c.points, 'points');
      const { next, lot } = creditEffect(member, c, tx.now);
      entries.push({
        memberId: member.id,
        delta: c.points,
        kind: c.kind,
        reasonCode: c.reasonCode,
        reasonParams: c.reasonParams,
        rule: c.rule,
        reference: c.reference,
        eventId: c.eventId,
        actor: actorLabel(tx.actor),
        balanceAfter: next.pointsAvailable + next.pointsPending,
        pendingAfter: next.pointsPending,
        createdAt: tx.now,
      });
      lots.push(lot);
      if (c.extendsOpenLots && c.expiresAt) {
        const latest = extend.get(account);
        if (!latest || c.expiresAt > latest) extend.set(account, c.expiresAt);
      }
      account.current = next;
      changed.add(account);
      total += c.points;
    }
    const ids = await tx.repos.ledger.appendManyReturningIds(entries);
    await tx.repos.lots.insertMany(lots.map((lot, i) => ({ ...lot, ledgerId: ids[i] as number })));
    // The inactivity policy: the whole open balance lives until the latest earning's deadline.
    for (const [account, to] of extend) {
      const latest = await tx.repos.lots.latestOpenExpiry(account.current.id);
      await tx.repos.lots.extendOpenLots(account.current.id, latest && latest > to ? latest : to);
    }
    await tx.repos.members.setBalancesMany(
      [...changed].map((a) => a.current),
      tx.now,
    );
    return total;
  }

  /** `setTier` and `setTierRecheck` for many held members in one statement. */
  static async setTiersMany(tx: Tx, changes: ReadonlyArray<{ account: MemberAccount; tierId: number | null; belowSince: Date | null; recheckAt: Date | null }>): Promise<void> {
    await tx.repos.members.setTiersMany(
      changes.map((c) => ({ id: c.account.current.id, tierId: c.tierId, tierBelowSince: c.belowSince, tierRecheckAt: c.recheckAt })),
      tx.now,
    );
    for (const c of changes) c.account.current = { ...c.account.current, tierId: c.tierId, tierBelowSince: c.belowSince, tierRecheckAt: c.recheckAt };
  }

  private static hold(tx: Tx, member: Member, enrolled: boolean): MemberAccount {
    const account = new MemberAccount(tx, member, enrolled);
    const held = lockedIn.get(tx) ?? new Map<number, MemberAccount>();
    held.set(member.id, account);
    lockedIn.set(tx, held);
    return account;
  }

  /** The member as this transaction has left it. */
  get member(): Readonly<Member> {
    return this.current;
  }

  /** Returns the ledger entry's id: a bonus that may be taken back later draws its own lots first. */
  async credit(c: Credit): Promise<number> {
    if (!Number.isSafeInteger(c.points) || c.points <= 0) throw new Error(`credit needs positive points, got ${c.points}`);
    const member = this.current;
    // The last guard of the bound: the use cases refuse first, naming the field the points come from.
    refusePointsPastLimit(heldBy(member), c.points, 'points');
    const { next, lot } = creditEffect(member, c, this.tx.now);
    const ledgerId = await this.append(next, { ...c, delta: c.points });
    await this.tx.repos.lots.insert({ ...lot, ledgerId });
    if (c.extendsOpenLots && c.expiresAt) {
      // The whole open balance, this lot included, lives until the latest earning's deadline:
      // a late event (earned before the last one) doesn't bring anything forward.
      const latest = await this.tx.repos.lots.latestOpenExpiry(member.id);
      await this.tx.repos.lots.extendOpenLots(member.id, latest && latest > c.expiresAt ? latest : c.expiresAt);
    }
    await this.save(next);
    return ledgerId;
  }

  /**
   * Takes points back, in `drawOrder` (pending before available either way, once the invoice's
   * own lots are drawn). What was already spent leaves a debt
   * (a negative available balance) or, under the write-off policy, is recorded as a loss by a
   * second entry that brings the balance back to zero: the ledger stays append-only either way.
   */
  async debit(d: Debit): Promise<DebitResult> {
    if (!Number.isSafeInteger(d.points) || d.points <= 0) throw new Error(`debit needs positive points, got ${d.points}`);
    const member = this.current;
    const repos = this.tx.repos;
    const plan = planDraw(await repos.lots.withRemaining(member.id), d.points, d.ownLedgerIds, d.drawOrder);
    for (const draw of plan.draws) await repos.lots.setRemaining(draw.lotId, draw.remainingAfter, draw.pending && draw.remainingAfter > 0);
    let next: Member = {
      ...member,
      pointsPending: member.pointsPending - plan.fromPending,
      pointsAvailable: member.pointsAvailable - plan.fromAvailable - plan.shortfall,
      pointsLifetime: d.reducesLifetime ? Math.max(0, member.pointsLifetime - d.points) : member.pointsLifetime,
    };
    await this.append(next, { ...d, delta: -d.points });
    // Only the part of the shortfall that went below zero is a loss: a debit can also deepen
    // an existing debt, and that older debt is not ours to forgive here.
    const writtenOff = d.debtPolicy === 'write_off' ? Math.min(plan.shortfall, debtOf(next.pointsAvailable)) : 0;
    if (writtenOff > 0) {
      next = { ...next, pointsAvailable: next.pointsAvailable + writtenOff };
      await this.append(next, {
        delta: writtenOff,
        kind: 'adjust',
        reasonCode: 'debt_written_off',
        reasonParams: { points: writtenOff },
        reference: d.reference,
        eventId: d.eventId,
        // The program's policy forgives the debt, whoever caused the debit.
        actor: actorLabel(SYSTEM_ACTOR),
      });
    }
    await this.save(next);
    return { fromPending: plan.fromPending, fromAvailable: plan.fromAvailable, shortfall: plan.shortfall, writtenOff };
  }

  /** Moves pending lots whose refund window has passed into the spendable balance; returns the points. */
  async releaseDue(): Promise<number> {
    if (this.current.pointsPending === 0) return 0;
    return this.release(await this.tx.repos.lots.dueForRelease(this.current.id, this.tx.now));
  }

  /** `releaseDue` for several held members, their due lots read in one statement. */
  static async releaseDueMany(tx: Tx, accounts: readonly MemberAccount[]): Promise<void> {
    const pending = accounts.filter((a) => a.current.pointsPending > 0);
    if (pending.length === 0) return;
    const due = await tx.repos.lots.dueForReleaseMany(
      pending.map((a) => a.current.id),
      tx.now,
    );
    for (const account of pending) await account.release(due.get(account.current.id) ?? []);
  }

  private async release(due: Lot[]): Promise<number> {
    if (due.length === 0) return 0;
    const member = this.current;
    const repos = this.tx.repos;
    const plan = planRelease(due, debtOf(member.pointsAvailable));
    for (const lot of plan.lots) await repos.lots.setRemaining(lot.lotId, lot.remainingAfter, false);
    const next: Member = {
      ...member,
      pointsAvailable: member.pointsAvailable + plan.released,
      pointsPending: member.pointsPending - plan.released,
    };
    await this.append(next, {
      delta: 0,
      kind: 'release',
      reasonCode: 'points_released',
      reasonParams: { points: plan.released },
      actor: actorLabel(SYSTEM_ACTOR),
    });
    await this.save(next);
    return plan.released;
  }

  /**
   * Expires the member's spendable lots past their date by `until`, as one `expire` entry
   * naming the points and the lots. Pending lots wait for their release; a debt never grows
   * (domain/expiry-plan.ts). Returns what expired; nothing is written when nothing is due.
   */
  async expire(until: Date, fields: { reference?: string } = {}): Promise<{ points: number; lots: number }> {
    return (await MemberAccount.expireMany(this.tx, [this.current.id], until, fields)).get(this.current.id) ?? { points: 0, lots: 0 };
  }

  /**
   * `expire` for a batch of members in one transaction and a handful of statements: the
   * members locked in id order (the order every multi-member lock takes), their due lots read
   * at once, then one update of the lots, one insert of the entries and one of the balances.
   * Per member the effect is exactly `expire`'s; the expiry job commits a batch at a time
   * instead of paying a commit per member.
   */
  static async expireMany(
    tx: Tx,
    memberIds: readonly number[],
    until: Date,
    fields: { reference?: string } = {},
  ): Promise<Map<number, { points: number; lots: number }>> {
    const repos = tx.repos;
    const ids = [...new Set(memberIds)].sort((a, b) => a - b);
    const held = lockedIn.get(tx);
    const toLock = ids.filter((id) => !held?.has(id));
    for (const member of await repos.members.lockMany(toLock)) MemberAccount.hold(tx, member, false);
    const accounts = ids.map((id) => lockedIn.get(tx)?.get(id)).filter((a): a is MemberAccount => a !== undefined);
    const due = await repos.lots.expiredForMany(
      accounts.map((a) => a.current.id),
      until,
    );
    const results = new Map<number, { points: number; lots: number }>();
    const emptied: number[] = [];
    const entries: NewLedgerEntry[] = [];
    const changed: MemberAccount[] = [];
    for (const account of accounts) {
      const member = account.current;
      const plan = planExpiry(due.get(member.id) ?? [], member.pointsAvailable);
      results.set(member.id, { points: plan.points, lots: plan.lotIds.length });
      if (plan.lotIds.length === 0) continue;
      emptied.push(...plan.lotIds);
      const next: Member = { ...member, pointsAvailable: member.pointsAvailable - plan.points };
      entries.push({
        memberId: member.id,
        // 0, not -0, when inconsistent data left lots but no balance to take them from.
        delta: plan.points === 0 ? 0 : -plan.points,
        kind: 'expire',
        reasonCode: 'points_expired',
        reasonParams: { points: plan.points, lots: plan.lotIds.length },
        reference: fields.reference,
        actor: actorLabel(SYSTEM_ACTOR),
        balanceAfter: next.pointsAvailable + next.pointsPending,
        pendingAfter: next.pointsPending,
        createdAt: tx.now,
      });
      account.current = next;
      changed.push(account);
    }
    await repos.lots.empty(emptied);
    await repos.ledger.appendMany(entries);
    await repos.members.setBalancesMany(
      changed.map((a) => a.current),
      tx.now,
    );
    return results;
  }

  /**
   * Spends available points on a redemption: soonest-expiring lots first, then the oldest
   * (domain/reversal.ts `planDraw`), never pending ones. The caller has checked the balance
   * under this lock; spending more than is available is a bug, not a refusal. Returns what was
   * taken from each lot, so a failed redemption can give the points back as they were.
   */
  async spend(s: Omit<EntryFields, 'eventId' | 'rule'>): Promise<SpentLot[]> {
    const member = this.current;
    if (!Number.isSafeInteger(s.points) || s.points <= 0) throw new Error(`spend needs positive points, got ${s.points}`);
    if (s.points > member.pointsAvailable) throw new Error(`spend of ${s.points} exceeds the available ${member.pointsAvailable} of member ${member.id}`);
    const repos = this.tx.repos;
    const spendable = (await repos.lots.withRemaining(member.id)).filter((l) => !l.pending);
    const plan = planDraw(spendable, s.points);
    if (plan.shortfall > 0) throw new Error(`member ${member.id}: lots hold ${s.points - plan.shortfall} of the ${s.points} available points`);
    const byId = new Map(spendable.map((l) => [l.id, l]));
    const spent: SpentLot[] = [];
    for (const draw of plan.draws) {
      await repos.lots.setRemaining(draw.lotId, draw.remainingAfter, false);
      const lot = byId.get(draw.lotId);
      if (lot) spent.push({ points: draw.take, earnedAt: lot.earnedAt, expiresAt: lot.expiresAt });
    }
    const next: Member = { ...member, pointsAvailable: member.pointsAvailable - s.points };
    await this.append(next, { ...s, delta: -s.points, kind: 'redeem' });
    await this.save(next);
    return spent;
  }

  /**
   * Gives back what a redemption spent, as new lots with the original earn and expiry dates:
   * points past their expiry come back expired-to-be and the next expiry run takes them, so a
   * failed redemption never extends a point's life. Like any credit, they pay a debt first.
   */
  async restore(r: Omit<EntryFields, 'eventId' | 'rule' | 'points'> & { lots: readonly SpentLot[] }): Promise<void> {
    const member = this.current;
    const points = r.lots.reduce((sum, l) => sum + l.points, 0);
    if (!Number.isSafeInteger(points) || points <= 0) throw new Error(`restore needs positive points, got ${points}`);
    const next: Member = { ...member, pointsAvailable: member.pointsAvailable + points };
    const ledgerId = await this.append(next, { reasonCode: r.reasonCode, reasonParams: r.reasonParams, reference: r.reference, delta: points, kind: 'reverse' });
    let netted = Math.min(points, debtOf(member.pointsAvailable));
    for (const lot of r.lots) {
      const paysDebt = Math.min(lot.points, netted);
      netted -= paysDebt;
      await this.tx.repos.lots.insert({
        memberId: member.id,
        ledgerId,
        points: lot.points,
        remaining: lot.points - paysDebt,
        pending: false,
        earnedAt: lot.earnedAt,
        availableAt: this.tx.now,
        expiresAt: lot.expiresAt,
      });
    }
    await this.save(next);
  }

  /** Records the member's tier (and since when they have been below it). */
  async setTier(tierId: number | null, belowSince: Date | null): Promise<void> {
    await this.tx.repos.members.setTier(this.current.id, tierId, belowSince, this.tx.now);
    this.current = { ...this.current, tierId, tierBelowSince: belowSince };
  }

  /** Records the member's services summary (counts, tenure, suspension clock). */
  async setServiceSummary(summary: ServiceSummary): Promise<void> {
    await this.tx.repos.members.setServiceSummary(this.current.id, summary, this.tx.now);
    this.current = { ...this.current, ...summary };
  }

  /** Applies `client.updated`: contact details, locale, currency (points are never converted), status. */
  async setProfile(profile: MemberProfile): Promise<void> {
    await this.tx.repos.members.setProfile(this.current.id, profile, this.tx.now);
    const defined = Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== undefined));
    this.current = { ...this.current, ...defined };
  }

  /** When the tier review should next look at the member's spend (null: only an event or grace will tell). */
  async setTierRecheck(at: Date | null): Promise<void> {
    if ((this.current.tierRecheckAt?.getTime() ?? null) === (at?.getTime() ?? null)) return;
    await this.tx.repos.members.setTierRecheck(this.current.id, at);
    this.current = { ...this.current, tierRecheckAt: at };
  }

  private append(
    next: Member,
    e: Omit<NewLedgerEntry, 'memberId' | 'balanceAfter' | 'pendingAfter' | 'createdAt' | 'actor'> & { actor?: string },
  ): Promise<number> {
    return this.tx.repos.ledger.append({
      memberId: next.id,
      delta: e.delta,
      kind: e.kind,
      reasonCode: e.reasonCode,
      reasonParams: e.reasonParams,
      rule: e.rule,
      reference: e.reference,
      eventId: e.eventId,
      actor: e.actor ?? actorLabel(this.tx.actor),
      balanceAfter: next.pointsAvailable + next.pointsPending,
      pendingAfter: next.pointsPending,
      createdAt: this.tx.now,
    });
  }

  private async save(next: Member): Promise<void> {
    await this.tx.repos.members.setBalances(next.id, next, this.tx.now);
    this.current = next;
  }
}
