import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../config';
import { createPlugin, type HostingRewardsPlugin } from '../index';
import { Progress } from '../lib/progress';
import { createLogger } from '../logger';
import { resolveSecrets } from '../secrets';
import { AWARD_MODES, DEFAULT_BATCH_SIZE, type AwardMode, type BackfillSummary, type Refusal } from '../services/backfill-service';
import { EXIT, failure, runCommand, UsageError } from './exit-codes';
import { countLines, formatOf, readHistory, type HistoryFormat } from './history-file';

const USAGE = `Usage: npm run backfill -- --file <history.jsonl|history.csv> [--since YYYY-MM-DD]
         [--award points|tiers-only] [--dry-run] [--format jsonl|csv] [--batch-size N]

Imports a panel's history: canonical events as JSON lines (the webhook's format), or a CSV with
one row per invoice line (see README, "Bringing in a panel's history"). Same rules as live
events; a re-run, or a run after a kill, adds nothing twice. Rows that can't be imported are
listed with the reasons in <file>.refused.jsonl.
  --since       only events on or after this day (UTC)
  --award       points (default): opening points for past purchases, expired ones expired at
                once; tiers-only: qualifying spend and tiers, no points
  --dry-run     validate and report what would change; writes nothing to the database
Exit codes: 0 done, 1 failed, 2 usage, 4 configuration.`;


interface Args {
  file: string;
  format: HistoryFormat;
  since?: Date;
  award: AwardMode;
  dryRun: boolean;
  batchSize: number;
}

function parse(argv: string[]): Args | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string' },
      from: { type: 'string' },
      format: { type: 'string' },
      since: { type: 'string' },
      award: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'batch-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`Unexpected ${positionals.join(' ')}`);
  if (values.from !== undefined) {
    throw new UsageError(
      `--from ${values.from}: importing straight from a panel's API (e.g. WHMCS GetInvoices) is not built yet; export the history as JSON lines or CSV and pass --file`,
    );
  }
  const file = values.file;
  if (!file) throw new UsageError('Name the history file with --file');
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`--file ${file}: no such file`);
  const format = values.format ?? formatOf(file);
  if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format must be jsonl or csv (got ${JSON.stringify(format)})`);
  const since = values.since;
  if (since !== undefined && !isDay(since)) throw new UsageError(`--since must be a date, YYYY-MM-DD (got ${JSON.stringify(since)})`);
  const award = values.award ?? 'points';
  if (!(AWARD_MODES as readonly string[]).includes(award)) throw new UsageError(`--award must be ${AWARD_MODES.join(' or ')} (got ${JSON.stringify(award)})`);
  const batch = values['batch-size'];
  const batchSize = batch === undefined ? DEFAULT_BATCH_SIZE : Number(batch);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 20_000) {
    throw new UsageError(`--batch-size must be a whole number from 1 to 20000 (got ${JSON.stringify(batch)})`);
  }
  return {
    file,
    format,
    since: since === undefined ? undefined : new Date(`${since}T00:00:00Z`),
    award: award as AwardMode,
    dryRun: values['dry-run'] ?? false,
    batchSize,
  };
}

function isDay(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
}

const n = (v: number) => v.toLocaleString('en');

function summary(s: BackfillSummary, seconds: number, refusedFile: string): string {
  const tiers = Object.entries(s.tiers)
    .map(([name, count]) => `${name} ${n(count)}`)
    .join(', ');
  const lines = [
    `backfill: ${s.dryRun ? 'dry run, nothing written; would import' : 'done,'} ${n(s.invoices)} invoice(s) for ${n(s.members)} member(s) (${n(s.enrolled)} new) from ${n(s.rows)} row(s) in ${seconds.toFixed(1)} s`,
    `  points: ${n(s.points)} credited${s.expired > 0 ? `, ${n(s.expired)} of them past their expiry (expired at once)` : ''}`,
    `  tiers: ${n(s.tierChanges)} change(s)${tiers ? `; members now in ${tiers}` : ''}`,
    `  duplicates ${n(s.duplicates)}, before --since ${n(s.skipped)}, through the live path ${n(s.live)}, refused ${n(s.refused)}`,
  ];
  // Peak memory, so a provider (and bench:backfill) can see the history was streamed.
  lines.push(`  peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  if (s.refused > 0) lines.push(`  refused rows and their reasons: ${refusedFile}`);
  return lines.join('\n');
}

/** Writes each refusal as a JSON line to the file, opened on the first one. */
class RefusalFile {
  private fd: number | null = null;
  constructor(readonly path: string) {
    // A report from an earlier run would describe rows this run may have imported.
    fs.rmSync(path, { force: true });
  }
  write(r: Refusal): void {
    this.fd ??= fs.openSync(this.path, 'w');
    fs.writeSync(this.fd, `${JSON.stringify(r)}\n`);
  }
  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
  }
}

/** `npm run backfill -- --file …`: for the provider installing the plugin, and for tests. */
async function main(argv: string[]): Promise<number> {
  let plugin: HostingRewardsPlugin | undefined;
  let progress: Progress | undefined;
  let refused: RefusalFile | undefined;
  try {
    const args = parse(argv);
    if (args === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.done;
    }
    const config = loadConfig();
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination({ dest: 2, sync: true }));
    plugin = createPlugin({ config, secrets: resolveSecrets(config).secrets, logger, migrate: false });
    // As the sidecar starts (migrations must be applied already): events the live path takes may queue emails.
    await plugin.init();
    const total = await countLines(args.file);
    const refusals = new RefusalFile(`${args.file}.refused.jsonl`);
    refused = refusals;
    progress = new Progress('backfill', process.stdout, { unit: 'lines', rate: true });
    progress.update(0, total);
    let reported = 0;
    const started = performance.now();
    const result = await plugin.services.backfill.run(
      readHistory(args.file, args.format),
      { award: args.award, since: args.since, dryRun: args.dryRun, batchSize: args.batchSize },
      {
        onRefused: (r) => refusals.write(r),
        onProgress: (lines, c) => {
          reported = lines;
          progress?.update(lines, total, { invoices: c.invoices, members: c.members, points: c.points, refused: c.refused });
        },
      },
    );
    // Trailing blank lines are never reported by a batch: the bar still ends full.
    if (reported < total) progress.update(total, total, { invoices: result.invoices, members: result.members, points: result.points, refused: result.refused });
    progress.finish();
    process.stdout.write(`${summary(result, (performance.now() - started) / 1000, refusals.path)}\n`);
    return EXIT.done;
  } catch (err) {
    progress?.finish();
    return failure('backfill', err, USAGE, 'What committed stays; run the same command again to resume (imported events are skipped).');
  } finally {
    refused?.close();
    await plugin?.shutdown();
  }
}

runCommand('backfill', () => main(process.argv.slice(2)));
