import type { Knex } from 'knex';

/**
 * A member row written directly, with only the columns every schema since the first has, for
 * migration tests that stop before a later migration: today's repositories write the columns
 * later migrations add, so enrolling through them fails on an older schema.
 */
export async function insertOldMember(knex: Knex, panelClientId: string, fields: { email?: string; pointsAvailable?: number; at?: Date } = {}): Promise<number> {
  const at = fields.at ?? new Date();
  const points = fields.pointsAvailable ?? 0;
  const [row] = await knex('loyalty_members').insert(
    { panel_client_id: panelClientId, email: fields.email ?? null, referral_code: panelClientId.toUpperCase().slice(0, 16), points_available: points, points_lifetime: points, joined_at: at, updated_at: at },
    ['id'],
  );
  return Number(typeof row === 'object' ? (row as { id: unknown }).id : row);
}
