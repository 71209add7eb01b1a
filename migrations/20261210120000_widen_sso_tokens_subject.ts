import { widenVarchar } from './helpers';

/**
 * An admin's used token is recorded under `admin:<id>`, and the `admin` claim allows ids of
 * 64 characters: 70 in all, which a VARCHAR(64) refused on MySQL/MariaDB, so an admin with an
 * id of 59 characters or more could not sign in. 80 holds the longest subject with room.
 */
export const { up, down } = widenVarchar('loyalty_sso_tokens', 'subject', 64, 80);
