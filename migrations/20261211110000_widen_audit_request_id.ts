import { widenVarchar } from './helpers';

/**
 * An audit row's request id: a caller's `X-Request-Id` is kept up to 128 characters (and the
 * inbox stores that many), but the audit log held 64 and cut the rest, so a long id no longer
 * led from the audit row to its log lines.
 */
export const { up, down } = widenVarchar('loyalty_audit', 'request_id', 64, 128, { nullable: true });
