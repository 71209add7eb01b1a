import type { Knex } from 'knex';
import { AdminCredentialRepository } from './admin-credential-repository';
import { AdminSessionRepository } from './admin-session-repository';
import { AuditRepository } from './audit-repository';
import { AnnualAwardRepository } from './annual-award-repository';
import { ChurnRepository } from './churn-repository';
import { EventRepository } from './event-repository';
import { ExpiryWarningRepository } from './expiry-warning-repository';
import { InvoiceRepository } from './invoice-repository';
import { JobRepository } from './job-repository';
import { LedgerRepository } from './ledger-repository';
import { LotRepository } from './lot-repository';
import { MemberHistoryRepository } from './member-history-repository';
import { MemberRepository } from './member-repository';
import { OutboxRepository } from './outbox-repository';
import { PanelEndpointRepository } from './panel-endpoint-repository';
import { RedemptionRepository } from './redemption-repository';
import { ReportRepository } from './report-repository';
import { RewardRepository } from './reward-repository';
import { RuleRepository } from './rule-repository';
import { ServiceRenewalRepository } from './service-renewal-repository';
import { ServiceRepository } from './service-repository';
import { ServiceUpgradeRepository } from './service-upgrade-repository';
import { SettingsRepository } from './settings-repository';
import { SsoTokenRepository } from './sso-token-repository';
import { StatementRepository } from './statement-repository';
import { StreakBonusRepository } from './streak-bonus-repository';
import { TierRepository } from './tier-repository';

export interface Repositories {
  members: MemberRepository;
  events: EventRepository;
  invoices: InvoiceRepository;
  ledger: LedgerRepository;
  lots: LotRepository;
  rules: RuleRepository;
  settings: SettingsRepository;
  ssoTokens: SsoTokenRepository;
  outbox: OutboxRepository;
  panelEndpoints: PanelEndpointRepository;
  rewards: RewardRepository;
  redemptions: RedemptionRepository;
  tiers: TierRepository;
  jobs: JobRepository;
  expiryWarnings: ExpiryWarningRepository;
  annualAwards: AnnualAwardRepository;
  statements: StatementRepository;
  services: ServiceRepository;
  /** Upgrades of services and the invoices that paid for them. */
  serviceUpgrades: ServiceUpgradeRepository;
  /** Renewed periods of services, the streak's history. */
  renewals: ServiceRenewalRepository;
  /** Renewal-streak milestones reached and the bonuses they hold. */
  streakBonuses: StreakBonusRepository;
  history: MemberHistoryRepository;
  churn: ChurnRepository;
  audit: AuditRepository;
  adminCredentials: AdminCredentialRepository;
  /** Admin sessions signed out before their token expires. */
  adminSessions: AdminSessionRepository;
  /** The admin area's aggregates and export batches. */
  reports: ReportRepository;
}

/** One set per executor: the pool for reads, or a transaction so every write shares it. */
export function createRepositories(db: Knex | Knex.Transaction): Repositories {
  return {
    members: new MemberRepository(db),
    events: new EventRepository(db),
    invoices: new InvoiceRepository(db),
    ledger: new LedgerRepository(db),
    lots: new LotRepository(db),
    rules: new RuleRepository(db),
    settings: new SettingsRepository(db),
    ssoTokens: new SsoTokenRepository(db),
    outbox: new OutboxRepository(db),
    panelEndpoints: new PanelEndpointRepository(db),
    rewards: new RewardRepository(db),
    redemptions: new RedemptionRepository(db),
    tiers: new TierRepository(db),
    jobs: new JobRepository(db),
    expiryWarnings: new ExpiryWarningRepository(db),
    annualAwards: new AnnualAwardRepository(db),
    statements: new StatementRepository(db),
    services: new ServiceRepository(db),
    serviceUpgrades: new ServiceUpgradeRepository(db),
    renewals: new ServiceRenewalRepository(db),
    streakBonuses: new StreakBonusRepository(db),
    history: new MemberHistoryRepository(db),
    churn: new ChurnRepository(db),
    audit: new AuditRepository(db),
    adminCredentials: new AdminCredentialRepository(db),
    adminSessions: new AdminSessionRepository(db),
    reports: new ReportRepository(db),
  };
}
