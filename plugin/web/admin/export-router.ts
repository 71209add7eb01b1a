import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { Router, type Request, type Response } from 'express';
import type { AdminRole } from '../../domain/actor';
import type { AdminContext } from '../../domain/audit';
import { zonedInstant } from '../../domain/time-zone';
import type { FieldProblem } from '../../domain/validation';
import type { Logger } from '../../logger';
import { MAX_LEDGER_DAYS, type CsvExportService, type CsvRow } from '../../services/csv-export-service';
import { mountOf, mountUrl } from '../urls';
import { sendPage, type AdminPageDeps } from './admin-pages';

/**
 * Billing and owner admins export; viewers don't. An export is every member's email and name
 * at once, the kind of bulk personal data a read-only role shouldn't carry out of the panel,
 * while billing admins need it for reconciliation and accounting.
 */
export const EXPORT_ROLES: readonly AdminRole[] = ['billing', 'owner'];

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** `from`..`to` (inclusive days, program time zone) as [from, to) instants, or the fields at fault. */
export function ledgerRange(query: Record<string, unknown>, timeZone: string): { ok: true; from: Date; to: Date } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const day = (name: 'from' | 'to'): Date | null => {
    const v = query[name];
    if (typeof v !== 'string' || v === '') {
      problems.push({ path: name, message: 'is required (YYYY-MM-DD)' });
      return null;
    }
    const d = DATE.test(v) ? new Date(`${v}T00:00:00Z`) : null;
    if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) {
      problems.push({ path: name, message: 'must be a date (YYYY-MM-DD)' });
      return null;
    }
    return d;
  };
  const from = day('from');
  const to = day('to');
  if (from && to) {
    if (to < from) problems.push({ path: 'to', message: 'must not be before from' });
    else if ((to.getTime() - from.getTime()) / DAY_MS + 1 > MAX_LEDGER_DAYS) problems.push({ path: 'to', message: `must be within ${MAX_LEDGER_DAYS} days of from` });
  }
  if (!from || !to || problems.length > 0) return { ok: false, problems };
  const at = (d: Date, plusDays: number) => zonedInstant({ year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate() + plusDays }, timeZone);
  return { ok: true, from: at(from, 0), to: at(to, 1) };
}

/**
 * `GET /admin/export` and the CSV files. A file streams from keyset batches through the CSV
 * library (RFC 4180 quoting, CRLF) into the chunked response with backpressure: memory holds a
 * batch, not the file. It starts with a UTF-8 byte order mark so Excel reads names in any
 * script, and every text cell is formula-neutralised (services/csv-export-service.ts).
 */
export function exportRouter(
  deps: AdminPageDeps & {
    exports: CsvExportService;
    timeZone: () => Promise<string>;
    logger: Logger;
    /** Records the export in the audit log (its own small transaction: an export writes nothing else). */
    recordExport: (ctx: AdminContext, entry: { action: string; target: string | null; after?: unknown }) => Promise<void>;
  },
): Router {
  const router = Router();
  const guard = deps.requireAdmin(EXPORT_ROLES);

  const page = async (req: Request, res: Response, status: number, form: { problems: FieldProblem[]; from?: string; to?: string }) => {
    const i18n = await deps.i18nFor(req, res);
    const mount = mountOf(res);
    const errors = (field: string) => form.problems.filter((p) => p.path === field).map((p) => p.message);
    sendPage(deps, res, i18n, status, 'admin/export', {
      membersHref: mountUrl(mount, 'admin/export/members.csv'),
      redemptionsHref: mountUrl(mount, 'admin/export/redemptions.csv'),
      ledgerAction: mountUrl(mount, 'admin/export/ledger.csv'),
      from: form.from ?? '',
      to: form.to ?? '',
      fromErrors: errors('from'),
      toErrors: errors('to'),
      refused: form.problems.length > 0,
    });
  };

  const send = async (req: Request, res: Response, name: string, rows: AsyncIterable<CsvRow>, audit: { action: string; after?: unknown }) => {
    await deps.recordExport(deps.contextOf(req, res), { action: audit.action, target: `export:${name}`, after: audit.after });
    res.status(200);
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name}-${new Date().toISOString().slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write('\uFEFF');
    try {
      // The library quotes delimiters, quotes and CRLF; a lone CR or LF in a name must be quoted too (RFC 4180).
      await pipeline(Readable.from(rows), stringify({ record_delimiter: 'windows', quoted_match: /[\r\n]/ }), res);
    } catch (err) {
      // Headers are gone: the only honest signal left is a broken download, never a truncated "complete" file.
      deps.logger.error({ err, export: name }, 'CSV export failed mid-stream');
      res.destroy(err instanceof Error ? err : undefined);
    }
  };

  router.get('/admin/export', guard, (req, res) => page(req, res, 200, { problems: [] }));
  router.get('/admin/export/members.csv', guard, (req, res) => send(req, res, 'members', deps.exports.members(), { action: 'export.members' }));
  router.get('/admin/export/redemptions.csv', guard, (req, res) => send(req, res, 'redemptions', deps.exports.redemptions(), { action: 'export.redemptions' }));
  router.get('/admin/export/ledger.csv', guard, async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const range = ledgerRange(query, await deps.timeZone());
    if (!range.ok) {
      await page(req, res, 422, { problems: range.problems, from: typeof query.from === 'string' ? query.from : '', to: typeof query.to === 'string' ? query.to : '' });
      return;
    }
    await send(req, res, 'ledger', deps.exports.ledger(range), { action: 'export.ledger', after: { from: query.from, to: query.to } });
  });
  return router;
}

