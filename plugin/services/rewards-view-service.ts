import type { Database } from '../db/database';
import { currencyDigits, parseMoney } from '../domain/money';
import { rateForDisplay } from '../domain/points';
import type { Program } from '../domain/program';
import type { Translations, Translator } from '../i18n';
import type { LedgerEntry } from '../repositories/ledger-repository';
import type { Member } from '../repositories/member-repository';
import { formatInteger, formatMoney } from '../web/format';
import type { LedgerService } from './ledger-service';
import type { ProgramService } from './program-service';

export const HISTORY_PAGE_SIZE = 20;
const EXPIRY_WINDOW_DAYS = 30;

export interface HistoryRow {
  id: number;
  date: Date;
  reason: string;
  delta: number;
  balanceAfter: number;
}

export interface RewardsViewModel {
  enrolled: boolean;
  name: string | null;
  referralCode: string | null;
  balance: number;
  pending: number;
  /** Pending points by the date they become spendable. */
  pendingReleases: Array<{ points: number; date: Date }>;
  lifetime: number;
  expiring: { points: number; firstDate: Date | null };
  history: HistoryRow[];
  olderHref: string | null;
  newestHref: string | null;
  howToEarn: string[];
}

/** Builds the Rewards tab's view model: every number the template shows, already decided. */
export class RewardsViewService {
  constructor(
    private readonly db: Database,
    private readonly program: ProgramService,
    private readonly ledger: LedgerService,
    private readonly translations: Translations,
    private readonly clock: () => Date,
  ) {}

  /**
   * The member's panel locale wins; the SSO token's locale covers a client not enrolled yet.
   */
  async build(
    clientId: string,
    options: { sessionLocale?: string; before?: number } = {},
  ): Promise<{ model: RewardsViewModel; i18n: Translator }> {
    const now = this.clock();
    const program = await this.program.current();
    const found = await this.db.repos.members.findByPanelClientId(clientId);
    const member = found && found.pointsPending > 0 ? await this.releaseDue(found.id, now) : found;
    const i18n = this.translations.for(member?.locale ?? options.sessionLocale);
    const howToEarn = this.howToEarn(program, member?.currency ?? null, i18n);
    if (!member) {
      const model: RewardsViewModel = {
        enrolled: false,
        name: null,
        referralCode: null,
        balance: 0,
        pending: 0,
        pendingReleases: [],
        lifetime: 0,
        expiring: { points: 0, firstDate: null },
        history: [],
        olderHref: null,
        newestHref: null,
        howToEarn,
      };
      return { model, i18n };
    }
    const windowEnd = new Date(now.getTime() + EXPIRY_WINDOW_DAYS * 86_400_000);
    const [page, expiring, pendingReleases] = await Promise.all([
      this.db.repos.ledger.pageForMember(member.id, { beforeId: options.before, limit: HISTORY_PAGE_SIZE }),
      this.db.repos.lots.expiringBetween(member.id, now, windowEnd),
      member.pointsPending > 0 ? this.db.repos.lots.pendingByRelease(member.id) : Promise.resolve([]),
    ]);
    const last = page.entries[page.entries.length - 1];
    const model: RewardsViewModel = {
      enrolled: true,
      name: member.name,
      referralCode: member.referralCode,
      balance: member.pointsAvailable,
      pending: member.pointsPending,
      pendingReleases: pendingReleases.map((p) => ({ points: p.points, date: p.availableAt })),
      lifetime: member.pointsLifetime,
      expiring: { points: expiring.points, firstDate: expiring.firstExpiry },
      history: page.entries.map((e) => ({
        id: e.id,
        date: e.createdAt,
        reason: this.reason(e, i18n),
        delta: e.delta,
        balanceAfter: e.balanceAfter,
      })),
      olderHref: page.hasOlder && last ? `/client/rewards?before=${last.id}` : null,
      newestHref: options.before !== undefined ? '/client/rewards' : null,
      howToEarn,
    };
    return { model, i18n };
  }

  /** The next read after the refund window passes releases the points (with a ledger entry). */
  private async releaseDue(memberId: number, now: Date): Promise<Member | null> {
    return this.db.transaction(async (repos) => {
      const locked = await repos.members.findById(memberId, { forUpdate: true });
      return locked && this.ledger.releaseDue(repos, locked, now);
    });
  }

  private reason(entry: LedgerEntry, i18n: Translator): string {
    const p = entry.reasonParams;
    switch (entry.reasonCode) {
      case 'invoice_refunded':
      case 'invoice_chargeback':
      case 'chargeback_penalty':
      case 'debt_written_off':
      case 'points_released':
        return i18n.t(`reason.${entry.reasonCode}`, {
          invoice: p.invoice,
          points: i18n.t('points_count', { count: Number(p.points), formatted: formatInteger(i18n.locale, Number(p.points)) }),
        });
      case 'invoice_paid':
        return i18n.t('reason.invoice_paid', {
          invoice: p.invoice,
          amount: this.amount(String(p.amount), String(p.currency), i18n),
        });
      default:
        return i18n.t('reason.unknown', { code: entry.reasonCode });
    }
  }

  private amount(decimal: string, currency: string, i18n: Translator): string {
    const parsed = parseMoney(decimal, currency);
    return parsed.ok ? formatMoney(i18n.locale, parsed.value) : `${decimal} ${currency}`;
  }

  /** Generated from the program itself, so the tab never describes rules that aren't in force. */
  private howToEarn(program: Program, currency: string | null, i18n: Translator): string[] {
    const lines: string[] = [];
    const currencies = currency ? [currency] : Object.keys(program.earnRates);
    for (const cur of currencies) {
      const rate = program.earnRates[cur];
      if (rate === undefined) {
        lines.push(i18n.t('rewards.earn_rate_none'));
        continue;
      }
      const shown = rateForDisplay(rate, currencyDigits(cur) ?? 2);
      lines.push(
        i18n.t('rewards.earn_rate', {
          points: i18n.t('points_count', {
            count: Number(shown.points),
            formatted: new Intl.NumberFormat(i18n.locale).format(shown.points as unknown as number),
          }),
          amount: formatMoney(i18n.locale, { currency: cur, minor: shown.perMinor }),
        }),
      );
    }
    lines.push(i18n.t('rewards.earn_credit_note'));
    lines.push(
      program.expiryMonths === null
        ? i18n.t('rewards.expiry_never')
        : i18n.t('rewards.expiry_note', { months: formatInteger(i18n.locale, program.expiryMonths) }),
    );
    return lines;
  }
}
