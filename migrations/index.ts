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
];
