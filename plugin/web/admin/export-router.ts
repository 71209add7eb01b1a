import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Request, Response } from 'express';
import type { AdminRole } from '../../domain/actor';
import { zonedInstant } from '../../domain/time-zone';
import { problem, type FieldProblem } from '../../domain/validation';
import { MAX_LEDGER_DAYS, type CsvRow } from '../../services/csv-export-service';
import { clientAborted } from '../errors';
import { mountOf, mountUrl } from '../urls';
import type { AdminPageContext } from './admin-deps';
import { adminContext } from './admin-page';
import { problemText } from './field-errors';
import { WRITE_ROLES, type AdminRoute } from './admin-routes';

/**
 * Billing and owner admins export; viewers don't. An export is every member's email and name
 * at once, the kind of bulk personal data a read-only role shouldn't carry out of the panel,
 * while billing admins need it for reconciliation and accounting.
 */
export const EXPORT_ROLES: readonly AdminRole[] = WRITE_ROLES;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** `from`..`to` (inclusive days, program time zone) as [from, to) instants, or the fields at fault. */
export function ledgerRange(query: Record<string, unknown>, timeZone: string): { ok: true; from: Date; to: Date } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const day = (name: 'from' | 'to'): Date | null => {
    const v = query[name];
    if (typeof v !== 'string' || v === '') {
      problems.push(problem(name, 'is required (YYYY-MM-DD)', 'required'));
      return null;
    }
    const d = DATE.test(v) ? new Date(`${v}T00:00:00Z`) : null;
    if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) {
      problems.push(problem(name, 'must be a date (YYYY-MM-DD)', 'date', { format: 'YYYY-MM-DD' }));
      return null;
    }
    return d;
  };
  const from = day('from');
  const to = day('to');
  if (from && to) {
    if (to < from) problems.push(problem('to', 'must not be before from', 'not_before_from'));
    else if ((to.getTime() - from.getTime()) / DAY_MS + 1 > MAX_LEDGER_DAYS) problems.push(problem('to', `must be within ${MAX_LEDGER_DAYS} days of from`, 'within_days', { days: MAX_LEDGER_DAYS }));
  }
  if (!from || !to || problems.length > 0) return { ok: false, problems };
  const at = (d: Date, plusDays: number) => zonedInstant({ year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate() + plusDays }, timeZone);
  return { ok: true, from: at(from, 0), to: at(to, 1) };
}

/**
 * `GET /admin/export` and the CSV files. A file streams from keyset batches through the CSV
 * library (RFC 4180 quoting, CRLF) into the chunked response with backpressure: memory holds a
 * batch, not the file. It starts with a UTF-8 byte order mark so Excel reads names in any
 * script, and every text cell is formula-neutralised (services/csv-export-service.ts). Each
 * download leaves an audit row (who took which data out, when, from where).
 */
export function exportRoutes({ deps, pages }: AdminPageContext): AdminRoute[] {
  const { exports } = deps.data;

  const page = async (req: Request, res: Response, status: number, form: { problems: FieldProblem[]; from?: string; to?: string }) => {
    const mount = mountOf(res);
    const i18n = await pages.i18n(req);
    const label = { from: i18n.t('csv.from'), to: i18n.t('csv.to') };
    const errors = (field: 'from' | 'to') => form.problems.filter((p) => p.path === field).map((p) => problemText(i18n, p, label[field]));
    await pages.render(
      req,
      res,
      'admin/export',
      {
        membersHref: mountUrl(mount, 'admin/export/members.csv'),
        redemptionsHref: mountUrl(mount, 'admin/export/redemptions.csv'),
        ledgerAction: mountUrl(mount, 'admin/export/ledger.csv'),
        from: form.from ?? '',
        to: form.to ?? '',
        fromErrors: errors('from'),
        toErrors: errors('to'),
        refused: form.problems.length > 0,
      },
      { current: 'export', status, i18n },
    );
  };

  const send = async (req: Request, res: Response, name: string, rows: AsyncIterable<CsvRow>, after?: unknown) => {
    await deps.audit.recordAlone(adminContext(req, res), { action: `export.${name}`, target: `export:${name}`, after });
    res.status(200);
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name}-${deps.clock().toISOString().slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store',
    });
    res.write('\uFEFF');
    try {
      // The library quotes delimiters, quotes and CRLF; a lone CR or LF in a name must be quoted too (RFC 4180).
      await pipeline(Readable.from(rows), stringify({ record_delimiter: 'windows', quoted_match: /[\r\n]/ }), res);
    } catch (err) {
      // An admin who cancels the download, or closes the tab, is nothing gone wrong here.
      if (clientAborted(err, req)) {
        deps.logger.info({ export: name }, 'client aborted the CSV export');
        return;
      }
      // Headers are gone: the only honest signal left is a broken download, never a truncated "complete" file.
      deps.logger.error({ err, export: name }, 'CSV export failed mid-stream');
      res.destroy(err instanceof Error ? err : undefined);
    }
  };

  return [
    { method: 'get', path: '/export', roles: EXPORT_ROLES, handler: (req, res) => page(req, res, 200, { problems: [] }) },
    { method: 'get', path: '/export/members.csv', roles: EXPORT_ROLES, handler: (req, res) => send(req, res, 'members', exports.members()) },
    { method: 'get', path: '/export/redemptions.csv', roles: EXPORT_ROLES, handler: (req, res) => send(req, res, 'redemptions', exports.redemptions()) },
    {
      method: 'get',
      path: '/export/ledger.csv',
      roles: EXPORT_ROLES,
      handler: async (req, res) => {
        const query = req.query as Record<string, unknown>;
        const range = ledgerRange(query, await deps.data.timeZone());
        if (!range.ok) {
          const text = (v: unknown) => (typeof v === 'string' ? v : '');
          await page(req, res, 422, { problems: range.problems, from: text(query.from), to: text(query.to) });
          return;
        }
        await send(req, res, 'ledger', exports.ledger(range), { from: query.from, to: query.to });
      },
    },
  ];
}
