import type { Knex } from 'knex';
import { ChurnRepository } from './churn-repository';
import { EventRepository } from './event-repository';
import { InvoiceRepository } from './invoice-repository';
import { JobRepository } from './job-repository';
import { LedgerRepository } from './ledger-repository';
import { LotRepository } from './lot-repository';
import { MemberHistoryRepository } from './member-history-repository';
import { MemberRepository } from './member-repository';
import { OutboxRepository } from './outbox-repository';
import { RuleRepository } from './rule-repository';
import { ServiceRepository } from './service-repository';
import { SettingsRepository } from './settings-repository';
import { SsoTokenRepository } from './sso-token-repository';
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
  tiers: TierRepository;
  jobs: JobRepository;
  services: ServiceRepository;
  history: MemberHistoryRepository;
  churn: ChurnRepository;
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
    tiers: new TierRepository(db),
    jobs: new JobRepository(db),
    services: new ServiceRepository(db),
    history: new MemberHistoryRepository(db),
    churn: new ChurnRepository(db),
  };
}
