import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { Database } from '../db/database';
import { adminActor, type AdminContext } from '../domain/audit';
import { lotExpiry } from '../domain/expiry-policy';
import { judgeOpeningBalances, openingBalanceReference, type OpeningBalanceRow, type RowProblem } from '../domain/opening-balance';
import { problem, type FieldProblem } from '../domain/validation';
import { ValidationError } from '../errors';
import { MemberAccount } from './member-account';
import type { AuditRecorder } from './program-admin-service';
import type { ProgramService } from './program-service';

/** The largest file the import takes (about 20 000 rows): larger migrations split the file. */
export const IMPORT_MAX_BYTES = 1024 * 1024;
/** Rows per transaction: each batch commits with its own audit row. */
const ROWS_PER_TRANSACTION = 100;

export interface ImportPreview {
  /** sha-256 of the file, hex: the import form posts it back so the file imported is the file previewed. */
  hash: string;
  rows: Array<OpeningBalanceRow & { reference: string; imported: boolean }>;
  problems: RowProblem[];
  fileProblems: FieldProblem[];
  /** Rows the import would credit now (valid and not yet imported), and their points. */
  toImport: number;
  points: number;
}

export interface ImportResult {
  hash: string;
  credited: number;
  points: number;
  /** Rows whose entry already existed: an earlier import of the same rows. */
  skipped: number;
}

function hashOf(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Opening balances from another loyalty module (domain/opening-balance.ts says the columns).
 * `preview` writes nothing: every row judged, and those already imported marked. `import`
 * credits each valid row through MemberAccount as one `adjust` entry whose reference names
 * the row (`import:<reference|opening>:<client id>`), checked under the member's row lock,
 * so importing the same rows again, even concurrently, adds nothing.
 */
export class OpeningBalanceService {
  constructor(
    private readonly db: Database,
    private readonly program: ProgramService,
    private readonly audit: AuditRecorder,
    private readonly clock: () => Date,
  ) {}

  async preview(content: Buffer): Promise<ImportPreview> {
    const hash = hashOf(content);
    const judged = this.judge(content);
    const rows = judged.rows.map((r) => ({ ...r, reference: openingBalanceReference(r), imported: false }));
    const existing = await this.db.repos.reports.existingEntries('adjust', rows);
    for (const r of rows) r.imported = existing.has(r.reference);
    const fresh = rows.filter((r) => !r.imported);
    return {
      hash,
      rows,
      problems: judged.problems,
      fileProblems: judged.fileProblems,
      toImport: fresh.length,
      points: fresh.reduce((s, r) => s + r.points, 0),
    };
  }

  /** Imports a file with no problems (the preview lists them); refuses one with any, writing nothing. */
  async import(ctx: AdminContext, content: Buffer, expectedHash?: string): Promise<ImportResult> {
    const hash = hashOf(content);
    if (expectedHash !== undefined && expectedHash !== hash) {
      throw new ValidationError([problem('file', 'is not the file that was previewed', 'not_previewed')], 'Upload the file again and check its preview before importing.');
    }
    const judged = this.judge(content);
    const problems = [...judged.fileProblems, ...judged.problems.map((p) => ({ path: `line ${p.line}: ${p.path}`, message: p.message, ...(p.reason && { reason: p.reason }) }))];
    if (problems.length > 0) throw new ValidationError(problems, 'Fix the listed rows (the preview shows each) and upload the file again.');
    const program = await this.program.current();
    const result: ImportResult = { hash, credited: 0, points: 0, skipped: 0 };
    for (let i = 0; i < judged.rows.length; i += ROWS_PER_TRANSACTION) {
      const batch = judged.rows.slice(i, i + ROWS_PER_TRANSACTION);
      const done = await this.db.transaction(
        async (tx) => {
          const counts = { credited: 0, points: 0, skipped: 0 };
          for (const row of batch) {
            const reference = openingBalanceReference(row);
            const account = await MemberAccount.enrol(tx, { id: row.panelClientId, ...(row.email && { email: row.email }), ...(row.name && { name: row.name }) });
            if (await tx.repos.ledger.hasEntry(account.member.id, 'adjust', reference)) {
              counts.skipped++;
              continue;
            }
            await account.credit({
              kind: 'adjust',
              points: row.points,
              reasonCode: 'opening_balance',
              reasonParams: { points: row.points },
              reference,
              earnedAt: tx.now,
              availableAt: tx.now,
              // The old module's expiry when the file gives one; otherwise the program's, as if earned today.
              expiresAt: row.expiresAt ?? lotExpiry(program.expiry, tx.now, program.timeZone).expiresAt,
            });
            counts.credited++;
            counts.points += row.points;
          }
          await this.audit.record(tx, ctx, {
            action: 'members.import_balances',
            target: `import:${hash.slice(0, 16)}`,
            after: { lines: [batch[0]?.line, batch.at(-1)?.line], ...counts },
          });
          return counts;
        },
        { actor: adminActor(ctx.admin) },
      );
      result.credited += done.credited;
      result.points += done.points;
      result.skipped += done.skipped;
    }
    return result;
  }

  /** The file through the CSV library, then the rows judged; a file the library can't read is one file problem. */
  private judge(content: Buffer): ReturnType<typeof judgeOpeningBalances> {
    if (content.length > IMPORT_MAX_BYTES) return { rows: [], problems: [], fileProblems: [{ path: 'file', message: `must be at most ${IMPORT_MAX_BYTES} bytes` }] };
    let records: string[][];
    try {
      records = parse(content, { bom: true, relax_column_count: true, skip_empty_lines: true, encoding: 'utf8' }) as string[][];
    } catch (err) {
      // csv-parse's sync build has its own CsvError class, so the error is known by its code (CSV_…).
      const code: unknown = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
      if (typeof code === 'string' && code.startsWith('CSV_')) return { rows: [], problems: [], fileProblems: [problem('file', `is not valid CSV: ${(err as Error).message}`, 'not_csv')] };
      throw err;
    }
    return judgeOpeningBalances(records, this.clock());
  }
}
