import { widenVarchar } from './helpers';

/**
 * A ledger row's actor is `client:<id>` or `admin:<id>`, and both ids may be 64 characters:
 * up to 71 in all, which a VARCHAR(64) refused on MySQL/MariaDB, so a member with a long panel
 * id could not redeem and such an admin could not adjust. 80 holds the longest label with room;
 * both lengths keep a two-byte length prefix, so the server widens it in place.
 */
export const { up, down } = widenVarchar('loyalty_ledger', 'actor', 64, 80);
