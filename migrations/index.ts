import type { Knex } from 'knex';
import * as createMembers from './20261123000100_create_members';
import * as createEvents from './20261123000200_create_events';
import * as createLedger from './20261123000300_create_ledger';
import * as createLots from './20261123000400_create_lots';
import * as createSettings from './20261123000500_create_settings';
import * as createSsoTokens from './20261123000600_create_sso_tokens';
import * as addLotsPending from './20261124000100_add_lots_pending';
import * as createInvoices from './20261124000110_create_invoices';
import * as indexLedgerReference from './20261124000120_index_ledger_reference';
import * as createRules from './20261124000200_create_rules';
import * as seedRules from './20261124000210_seed_rules';
import * as indexLedgerRule from './20261124000220_index_ledger_rule';
import * as createOutbox from './20261124000300_create_outbox';
import * as createTiers from './20261124000400_create_tiers';
import * as seedTiers from './20261124000410_seed_tiers';
import * as addMembersTier from './20261124000420_add_members_tier';
import * as createSpendMonths from './20261124000430_create_spend_months';
import * as createTierChanges from './20261124000440_create_tier_changes';
import * as addInvoicesQualifying from './20261124000450_add_invoices_qualifying';
import * as seedBaseRule from './20261124000500_seed_base_rule';
import * as createJobLeases from './20261125000100_create_job_leases';
import * as createJobRuns from './20261125000110_create_job_runs';
import * as indexLotsExpires from './20261125000120_index_lots_expires';
import * as dropLedgerUniqueKeyIndex from './20261125000200_drop_ledger_unique_key_index';
import * as dropLedgerUniqueKey from './20261125000210_drop_ledger_unique_key';
import * as addEventsWrittenOff from './20261125001000_add_events_written_off';
import * as seedTierPerksLocales from './20261125003000_seed_tier_perks_locales';
import * as addLotsExpiringAt from './20261126001000_add_lots_expiring_at';
import * as indexLotsExpiring from './20261126001010_index_lots_expiring';
import * as indexLotsMemberExpiring from './20261126001020_index_lots_member_expiring';
import * as indexMembersTierBelow from './20261126001100_index_members_tier_below';
import * as addMembersTierRecheckAt from './20261126001120_add_members_tier_recheck_at';
import * as indexMembersTierRecheck from './20261126001130_index_members_tier_recheck';
import * as addMembersStatementsOptIn from './20261126002000_add_members_statements_opt_in';
import * as addMembersBirthdayMd from './20261126002010_add_members_birthday_md';
import * as addMembersJoinedMd from './20261126002020_add_members_joined_md';
import * as createExpiryWarnings from './20261126002030_create_expiry_warnings';
import * as createAnnualAwards from './20261126002040_create_annual_awards';
import * as createServices from './20261126003100_create_services';
import * as createMemberHistory from './20261126003110_create_member_history';
import * as addMembersServices from './20261126003120_add_members_services';
import * as addInvoicesReversal from './20261126003130_add_invoices_reversal';
import * as createChurnFlags from './20261126003140_create_churn_flags';
import * as seedLifecycleRules from './20261126003150_seed_lifecycle_rules';
import * as addMembersProfileAt from './20261126003160_add_members_profile_at';
import * as addEventsRequestId from './20261126004000_add_events_request_id';
import * as createRateLimits from './20261126004010_create_rate_limits';
import * as addTiersNames from './20261126005000_add_tiers_names';
import * as seedTierNames from './20261126005010_seed_tier_names';
import * as seedRuleLabels from './20261126005020_seed_rule_labels';
import * as createRewards from './20261126006000_create_rewards';
import * as createRedemptions from './20261126006010_create_redemptions';
import * as seedRewards from './20261126006020_seed_rewards';
import * as addRewardsPromo from './20261126006030_add_rewards_promo';
import * as addRedemptionsCode from './20261126006040_add_redemptions_code';
import * as seedPromoRewards from './20261126006050_seed_promo_rewards';
import * as indexLotsReleaseDue from './20261127000100_index_lots_release_due';
import * as indexInvoicesMemberPaid from './20261207000100_index_invoices_member_paid';
import * as createAuditLog from './20261207100000_create_audit_log';
import * as createAdminCredentials from './20261207100010_create_admin_credentials';
import * as addOutboxClientId from './20261207100020_add_outbox_client_id';
import * as indexOutboxClient from './20261207100030_index_outbox_client';
import * as indexMembersEmail from './20261207100040_index_members_email';
import * as indexMembersName from './20261207100050_index_members_name';
import * as indexLedgerCreated from './20261207110100_index_ledger_created';
import * as createPanelEndpoints from './20261207130000_create_panel_endpoints';
import * as indexLotsMemberExpiringRemaining from './20261207140000_index_lots_member_expiring_remaining';
import * as dropIndexLotsMemberExpiring from './20261207140010_drop_index_lots_member_expiring';
import * as indexInvoicesMemberPaidInvoice from './20261207140020_index_invoices_member_paid_invoice';
import * as dropIndexInvoicesMemberPaid from './20261207140030_drop_index_invoices_member_paid';
import * as indexLotsMemberPendingRemaining from './20261207140040_index_lots_member_pending_remaining';
import * as dropIndexLotsMemberPending from './20261207140050_drop_index_lots_member_pending';
import * as binaryLedgerReference from './20261207150000_binary_ledger_reference';
import * as binaryOutboxClientId from './20261207150010_binary_outbox_client_id';
import * as createServiceUpgrades from './20261208100000_create_service_upgrades';
import * as addInvoicesNumber from './20261209100000_add_invoices_number';
import * as addExpiryWarningsExpiresAt from './20261209110000_add_expiry_warnings_expires_at';
import * as backfillExpiryWarningsExpiresAt from './20261209110010_backfill_expiry_warnings_expires_at';
import * as keyExpiryWarningsByDeadline from './20261209110020_key_expiry_warnings_by_deadline';
import * as createServiceRenewals from './20261209120000_create_service_renewals';
import * as createStreakBonuses from './20261209120010_create_streak_bonuses';
import * as backfillServiceRenewals from './20261209120020_backfill_service_renewals';
import * as backfillStreakBonuses from './20261209120030_backfill_streak_bonuses';
import * as addRewardsFormKey from './20261210100000_add_rewards_form_key';
import * as indexRewardsFormKey from './20261210100010_index_rewards_form_key';
import * as addRulesFormKey from './20261210110000_add_rules_form_key';
import * as uniqueRulesFormKey from './20261210110010_unique_rules_form_key';
import * as widenSsoTokensSubject from './20261210120000_widen_sso_tokens_subject';
import * as widenLedgerActor from './20261210120010_widen_ledger_actor';
import * as addRedemptionsRewardNames from './20261211100000_add_redemptions_reward_names';
import * as widenAuditRequestId from './20261211110000_widen_audit_request_id';
import * as addRedemptionsCodeTerms from './20261211120000_add_redemptions_code_terms';
import * as backfillRedemptionsCodeTerms from './20261211120010_backfill_redemptions_code_terms';
import * as addLedgerPendingAfter from './20261212100000_add_ledger_pending_after';
import * as addInvoicesCashback from './20261212100010_add_invoices_cashback';
import * as addAdminCredentialsFailedSignIns from './20261213100000_add_admin_credentials_failed_sign_ins';
import * as addAdminCredentialsFailedSignInsUntil from './20261213100010_add_admin_credentials_failed_sign_ins_until';
import * as createAdminRevokedSessions from './20261213100020_create_admin_revoked_sessions';
import * as addRedemptionsTookStock from './20261214100000_add_redemptions_took_stock';
import * as indexRedemptionsMemberId from './20261214110000_index_redemptions_member_id';
import * as addInvoicesReversedThrough from './20261215100000_add_invoices_reversed_through';
import * as seedReviewRuleLabels from './20261217100000_seed_review_rule_labels';
import * as addServicesAmountAt from './20261217100010_add_services_amount_at';
import * as indexJobRunsState from './20261219100000_index_job_runs_state';
import * as fixSeededRewardsRuDecimals from './20261219100010_fix_seeded_rewards_ru_decimals';

export interface NamedMigration extends Knex.Migration {
  name: string;
}

/** In order. Add new migrations at the end; never rename or edit one that has shipped. */
export const migrations: NamedMigration[] = [
  { name: '20261123000100_create_members', ...createMembers },
  { name: '20261123000200_create_events', ...createEvents },
  { name: '20261123000300_create_ledger', ...createLedger },
  { name: '20261123000400_create_lots', ...createLots },
  { name: '20261123000500_create_settings', ...createSettings },
  { name: '20261123000600_create_sso_tokens', ...createSsoTokens },
  { name: '20261124000100_add_lots_pending', ...addLotsPending },
  { name: '20261124000110_create_invoices', ...createInvoices },
  { name: '20261124000120_index_ledger_reference', ...indexLedgerReference },
  { name: '20261124000200_create_rules', ...createRules },
  { name: '20261124000210_seed_rules', ...seedRules },
  { name: '20261124000220_index_ledger_rule', ...indexLedgerRule },
  { name: '20261124000300_create_outbox', ...createOutbox },
  { name: '20261124000400_create_tiers', ...createTiers },
  { name: '20261124000410_seed_tiers', ...seedTiers },
  { name: '20261124000420_add_members_tier', ...addMembersTier },
  { name: '20261124000430_create_spend_months', ...createSpendMonths },
  { name: '20261124000440_create_tier_changes', ...createTierChanges },
  { name: '20261124000450_add_invoices_qualifying', ...addInvoicesQualifying },
  { name: '20261124000500_seed_base_rule', ...seedBaseRule },
  { name: '20261125000100_create_job_leases', ...createJobLeases },
  { name: '20261125000110_create_job_runs', ...createJobRuns },
  { name: '20261125000120_index_lots_expires', ...indexLotsExpires },
  { name: '20261125000200_drop_ledger_unique_key_index', ...dropLedgerUniqueKeyIndex },
  { name: '20261125000210_drop_ledger_unique_key', ...dropLedgerUniqueKey },
  { name: '20261125001000_add_events_written_off', ...addEventsWrittenOff },
  { name: '20261125003000_seed_tier_perks_locales', ...seedTierPerksLocales },
  { name: '20261126001000_add_lots_expiring_at', ...addLotsExpiringAt },
  { name: '20261126001010_index_lots_expiring', ...indexLotsExpiring },
  { name: '20261126001020_index_lots_member_expiring', ...indexLotsMemberExpiring },
  { name: '20261126001100_index_members_tier_below', ...indexMembersTierBelow },
  { name: '20261126001120_add_members_tier_recheck_at', ...addMembersTierRecheckAt },
  { name: '20261126001130_index_members_tier_recheck', ...indexMembersTierRecheck },
  { name: '20261126002000_add_members_statements_opt_in', ...addMembersStatementsOptIn },
  { name: '20261126002010_add_members_birthday_md', ...addMembersBirthdayMd },
  { name: '20261126002020_add_members_joined_md', ...addMembersJoinedMd },
  { name: '20261126002030_create_expiry_warnings', ...createExpiryWarnings },
  { name: '20261126002040_create_annual_awards', ...createAnnualAwards },
  { name: '20261126003100_create_services', ...createServices },
  { name: '20261126003110_create_member_history', ...createMemberHistory },
  { name: '20261126003120_add_members_services', ...addMembersServices },
  { name: '20261126003130_add_invoices_reversal', ...addInvoicesReversal },
  { name: '20261126003140_create_churn_flags', ...createChurnFlags },
  { name: '20261126003150_seed_lifecycle_rules', ...seedLifecycleRules },
  { name: '20261126003160_add_members_profile_at', ...addMembersProfileAt },
  { name: '20261126004000_add_events_request_id', ...addEventsRequestId },
  { name: '20261126004010_create_rate_limits', ...createRateLimits },
  { name: '20261126005000_add_tiers_names', ...addTiersNames },
  { name: '20261126005010_seed_tier_names', ...seedTierNames },
  { name: '20261126005020_seed_rule_labels', ...seedRuleLabels },
  { name: '20261126006000_create_rewards', ...createRewards },
  { name: '20261126006010_create_redemptions', ...createRedemptions },
  { name: '20261126006020_seed_rewards', ...seedRewards },
  { name: '20261126006030_add_rewards_promo', ...addRewardsPromo },
  { name: '20261126006040_add_redemptions_code', ...addRedemptionsCode },
  { name: '20261126006050_seed_promo_rewards', ...seedPromoRewards },
  { name: '20261127000100_index_lots_release_due', ...indexLotsReleaseDue },
  { name: '20261207000100_index_invoices_member_paid', ...indexInvoicesMemberPaid },
  { name: '20261207100000_create_audit_log', ...createAuditLog },
  { name: '20261207100010_create_admin_credentials', ...createAdminCredentials },
  { name: '20261207100020_add_outbox_client_id', ...addOutboxClientId },
  { name: '20261207100030_index_outbox_client', ...indexOutboxClient },
  { name: '20261207100040_index_members_email', ...indexMembersEmail },
  { name: '20261207100050_index_members_name', ...indexMembersName },
  { name: '20261207110100_index_ledger_created', ...indexLedgerCreated },
  { name: '20261207130000_create_panel_endpoints', ...createPanelEndpoints },
  { name: '20261207140000_index_lots_member_expiring_remaining', ...indexLotsMemberExpiringRemaining },
  { name: '20261207140010_drop_index_lots_member_expiring', ...dropIndexLotsMemberExpiring },
  { name: '20261207140020_index_invoices_member_paid_invoice', ...indexInvoicesMemberPaidInvoice },
  { name: '20261207140030_drop_index_invoices_member_paid', ...dropIndexInvoicesMemberPaid },
  { name: '20261207140040_index_lots_member_pending_remaining', ...indexLotsMemberPendingRemaining },
  { name: '20261207140050_drop_index_lots_member_pending', ...dropIndexLotsMemberPending },
  { name: '20261207150000_binary_ledger_reference', ...binaryLedgerReference },
  { name: '20261207150010_binary_outbox_client_id', ...binaryOutboxClientId },
  { name: '20261208100000_create_service_upgrades', ...createServiceUpgrades },
  { name: '20261209100000_add_invoices_number', ...addInvoicesNumber },
  { name: '20261209110000_add_expiry_warnings_expires_at', ...addExpiryWarningsExpiresAt },
  { name: '20261209110010_backfill_expiry_warnings_expires_at', ...backfillExpiryWarningsExpiresAt },
  { name: '20261209110020_key_expiry_warnings_by_deadline', ...keyExpiryWarningsByDeadline },
  { name: '20261209120000_create_service_renewals', ...createServiceRenewals },
  { name: '20261209120010_create_streak_bonuses', ...createStreakBonuses },
  { name: '20261209120020_backfill_service_renewals', ...backfillServiceRenewals },
  { name: '20261209120030_backfill_streak_bonuses', ...backfillStreakBonuses },
  { name: '20261210100000_add_rewards_form_key', ...addRewardsFormKey },
  { name: '20261210100010_index_rewards_form_key', ...indexRewardsFormKey },
  { name: '20261210110000_add_rules_form_key', ...addRulesFormKey },
  { name: '20261210110010_unique_rules_form_key', ...uniqueRulesFormKey },
  { name: '20261210120000_widen_sso_tokens_subject', ...widenSsoTokensSubject },
  { name: '20261210120010_widen_ledger_actor', ...widenLedgerActor },
  { name: '20261211100000_add_redemptions_reward_names', ...addRedemptionsRewardNames },
  { name: '20261211110000_widen_audit_request_id', ...widenAuditRequestId },
  { name: '20261211120000_add_redemptions_code_terms', ...addRedemptionsCodeTerms },
  { name: '20261211120010_backfill_redemptions_code_terms', ...backfillRedemptionsCodeTerms },
  { name: '20261212100000_add_ledger_pending_after', ...addLedgerPendingAfter },
  { name: '20261212100010_add_invoices_cashback', ...addInvoicesCashback },
  { name: '20261213100000_add_admin_credentials_failed_sign_ins', ...addAdminCredentialsFailedSignIns },
  { name: '20261213100010_add_admin_credentials_failed_sign_ins_until', ...addAdminCredentialsFailedSignInsUntil },
  { name: '20261213100020_create_admin_revoked_sessions', ...createAdminRevokedSessions },
  { name: '20261214100000_add_redemptions_took_stock', ...addRedemptionsTookStock },
  { name: '20261214110000_index_redemptions_member_id', ...indexRedemptionsMemberId },
  { name: '20261215100000_add_invoices_reversed_through', ...addInvoicesReversedThrough },
  { name: '20261217100000_seed_review_rule_labels', ...seedReviewRuleLabels },
  { name: '20261217100010_add_services_amount_at', ...addServicesAmountAt },
  { name: '20261219100000_index_job_runs_state', ...indexJobRunsState },
  { name: '20261219100010_fix_seeded_rewards_ru_decimals', ...fixSeededRewardsRuDecimals },
];
