/** The append-only points ledger: one entry per movement, never changed afterwards. */
export type LedgerKind = 'earn' | 'bonus' | 'redeem' | 'expire' | 'reverse' | 'adjust' | 'release';

export interface NewLedgerEntry {
  memberId: number;
  delta: number;
  kind: LedgerKind;
  /** An i18n key under `reason.`; the history renders it in the member's language. */
  reasonCode: string;
  reasonParams?: Record<string, string | number>;
  rule?: string;
  reference?: string;
  eventId?: number;
  actor: string;
  /** The member's balance after this entry, pending points included. */
  balanceAfter: number;
  /** The pending part of `balanceAfter`. */
  pendingAfter: number;
  createdAt: Date;
}

export interface LedgerEntry {
  id: number;
  memberId: number;
  delta: number;
  kind: LedgerKind;
  reasonCode: string;
  reasonParams: Record<string, string | number>;
  rule: string | null;
  reference: string | null;
  actor: string;
  balanceAfter: number;
  createdAt: Date;
}
