import type { Knex } from 'knex';
import { insertOrDuplicate } from './insert-or-duplicate';
import { toDateOrNull } from './row-values';

export const PANEL_ENDPOINTS = 'loyalty_panel_endpoints';

export interface PanelEndpointState {
  endpoint: string;
  panel: string;
  /** Set while paused (the receiver answered 410 Gone); null once resumed. */
  pausedAt: Date | null;
  reason: string | null;
  resumedAt: Date | null;
}

function toState(row: Record<string, unknown>): PanelEndpointState {
  return {
    endpoint: String(row.endpoint),
    panel: String(row.panel),
    pausedAt: toDateOrNull(row.paused_at),
    reason: (row.reason as string | null) ?? null,
    resumedAt: toDateOrNull(row.resumed_at),
  };
}

/** Pauses of panel endpoints (migrations/20261207130000_create_panel_endpoints.ts says why). */
export class PanelEndpointRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async find(endpoint: string): Promise<PanelEndpointState | null> {
    const row = await this.db(PANEL_ENDPOINTS).where({ endpoint }).first();
    return row ? toState(row) : null;
  }

  /** Pauses the endpoint; a second pause (another instance saw the same 410) keeps the first time. */
  async pause(endpoint: string, panel: string, reason: string, now: Date): Promise<void> {
    const text = reason.slice(0, 500);
    const updated = await this.db(PANEL_ENDPOINTS).where({ endpoint }).whereNull('paused_at').update({ paused_at: now, reason: text, panel });
    if (updated === 1) return;
    const id = await insertOrDuplicate(this.db(PANEL_ENDPOINTS).insert({ endpoint, panel, paused_at: now, reason: text }));
    // null: a row exists, paused already (or resumed in between, which a second pause then wins).
    if (id === null) await this.db(PANEL_ENDPOINTS).where({ endpoint }).whereNull('paused_at').update({ paused_at: now, reason: text, panel });
  }

  /** True when it was paused. */
  async resume(endpoint: string, now: Date): Promise<boolean> {
    const n = await this.db(PANEL_ENDPOINTS).where({ endpoint }).whereNotNull('paused_at').update({ paused_at: null, resumed_at: now });
    return n === 1;
  }
}
