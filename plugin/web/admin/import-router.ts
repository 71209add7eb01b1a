import multer, { MulterError } from 'multer';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { OPENING_BALANCE_COLUMNS, REQUIRED_COLUMNS } from '../../domain/opening-balance';
import { formatInteger, formatList } from '../../i18n/format';
import type { FieldProblem } from '../../domain/validation';
import { ValidationError } from '../../errors';
import type { Translator } from '../../i18n';
import { IMPORT_MAX_BYTES } from '../../services/opening-balance-service';
import { mountOf, mountUrl } from '../urls';
import type { AdminPageContext } from './admin-deps';
import { adminContext } from './admin-page';
import { problemText } from './field-errors';
import { OWNER_ONLY, type AdminRoute } from './admin-routes';

/** The confirm form carries the previewed file back, base64 (a third larger). */
const CONTENT_FIELD_MAX = Math.ceil((IMPORT_MAX_BYTES * 4) / 3) + 16;
/** Rows the preview lists (every problem is listed whatever the count). */
const PREVIEW_ROWS = 200;

/** A problem's field as the page names it: the file, a column, or a column on a line (`line 3: points`). */
function fieldName(i18n: Translator, path: string): string {
  if (path === 'file') return i18n.t('csv.file');
  const line = /^line (\d+): (.*)$/.exec(path);
  return line ? `${i18n.t('csv.col_line')} ${line[1]}, ${line[2]}` : path;
}

/**
 * Opening balances (owner only): upload a CSV, see every row judged (nothing written), then
 * import. The preview page carries the file itself back in its form, with its hash, so the
 * import is exactly the file previewed and nothing is kept on the server in between. Files
 * are held in memory and capped at IMPORT_MAX_BYTES; a larger one is refused with 413 and a
 * page saying the limit.
 */
export function importRoutes({ deps, pages }: AdminPageContext): AdminRoute[] {
  const { balances } = deps.data;
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: IMPORT_MAX_BYTES, files: 1, fields: 4, fieldSize: CONTENT_FIELD_MAX, parts: 6 } });

  const page = async (req: Request, res: Response, status: number, model: Record<string, unknown>) => {
    const i18n = await pages.i18n(req);
    const mount = mountOf(res);
    await pages.render(
      req,
      res,
      'admin/import',
      {
        previewAction: mountUrl(mount, 'admin/import/preview'),
        importAction: mountUrl(mount, 'admin/import'),
        columns: OPENING_BALANCE_COLUMNS.join(', '),
        requiredColumns: formatList(i18n.locale, [...REQUIRED_COLUMNS]),
        maxSize: formatInteger(i18n.locale, Math.round(IMPORT_MAX_BYTES / 1024)),
        ...model,
        ...(Array.isArray(model.importProblems) && { importProblems: (model.importProblems as FieldProblem[]).map((p) => ({ text: problemText(i18n, p, fieldName(i18n, p.path)) })) }),
        ...(typeof model.uploadError === 'string' && { uploadErrorKey: `csv.upload_${model.uploadError}` }),
      },
      { current: 'import', status, i18n },
    );
  };

  /** multer, with its refusals (too large, too many parts) as a page saying which limit. */
  const parse =
    (middleware: RequestHandler): RequestHandler =>
    (req, res, next: NextFunction) => {
      middleware(req, res, (err?: unknown) => {
        if (!err) return next();
        // Whatever the parser refuses is the upload's fault: over a limit (MulterError), or not
        // multipart it can read (busboy's plain errors: no boundary, the form cut short).
        const tooLarge = err instanceof MulterError && (err.code === 'LIMIT_FILE_SIZE' || err.code === 'LIMIT_FIELD_VALUE');
        page(req, res, tooLarge ? 413 : 400, { uploadError: tooLarge ? 'too_large' : 'bad_upload' }).catch(next);
      });
    };

  return [
    { method: 'get', path: '/import', roles: OWNER_ONLY, handler: (req, res) => page(req, res, 200, {}) },
    {
      method: 'post',
      path: '/import/preview',
      roles: OWNER_ONLY,
      before: [parse(upload.single('file'))],
      handler: async (req, res) => {
        const file = req.file;
        if (!file || file.size === 0) {
          await page(req, res, 422, { uploadError: 'no_file' });
          return;
        }
        const preview = await balances.preview(file.buffer);
        const i18n = await pages.i18n(req);
        const clean = preview.fileProblems.length === 0 && preview.problems.length === 0;
        await page(req, res, clean ? 200 : 422, {
          preview: {
            fileName: file.originalname,
            hash: preview.hash,
            content: file.buffer.toString('base64'),
            rows: preview.rows.slice(0, PREVIEW_ROWS).map((r) => ({ ...r, expiresAt: r.expiresAt?.toISOString().slice(0, 10) ?? '' })),
            more: Math.max(0, preview.rows.length - PREVIEW_ROWS),
            total: preview.rows.length,
            problems: preview.problems.map((p) => ({ line: p.line, path: p.path, message: problemText(i18n, p, p.path) })),
            fileProblems: preview.fileProblems.map((p) => ({ text: problemText(i18n, p, fieldName(i18n, p.path)) })),
            toImport: preview.toImport,
            points: preview.points,
            clean,
            canImport: clean && preview.toImport > 0,
          },
        });
      },
    },
    {
      method: 'post',
      path: '/import',
      roles: OWNER_ONLY,
      before: [parse(upload.none())],
      handler: async (req, res) => {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const content = typeof body.content === 'string' && /^[A-Za-z0-9+/=]*$/.test(body.content) ? Buffer.from(body.content, 'base64') : null;
        if (!content || content.length === 0) {
          await page(req, res, 422, { uploadError: 'no_file' });
          return;
        }
        try {
          const result = await balances.import(adminContext(req, res), content, typeof body.hash === 'string' ? body.hash : '');
          await page(req, res, 200, { result });
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          await page(req, res, 422, { importProblems: err.fields });
        }
      },
    },
  ];
}
