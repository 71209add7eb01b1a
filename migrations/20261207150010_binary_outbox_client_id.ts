import { binaryCollation } from './helpers';

/** A panel client id compares as written, as `loyalty_members.panel_client_id` does: client `AB` is not `ab`. MySQL/MariaDB only. */
export const { up, down } = binaryCollation('loyalty_outbox', 'client_id', 'VARCHAR(64)');
