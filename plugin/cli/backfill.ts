import fs from 'node:fs';
import nodePath from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig, type PluginConfig } from '../config';
import { isTimeZone } from '../domain/time-zone';
import { ConfigError } from '../errors';
import { createPlugin, type HostingRewardsPlugin } from '../index';
import { Progress } from '../lib/progress';
import { createLogger } from '../logger';
import { WhmcsApiClient, WhmcsApiError } from '../panels/whmcs/whmcs-api-client';
import { WhmcsHistory } from '../panels/whmcs/whmcs-history';
import { resolveSecrets } from '../secrets';
import { AWARD_MODES, DEFAULT_BATCH_SIZE, type AwardMode, type BackfillSummary, type HistoryRow, type Refusal } from '../services/backfill-service';
import { EXIT, failure, runCommand, UsageError } from './exit-codes';
import { countLines, formatOf, readHistory, type HistoryFormat } from './history-file';

const USAGE = `Usage: npm run backfill -- --file <history.jsonl|history.csv> [--since YYYY-MM-DD]
         [--award points|tiers-only] [--dry-run] [--format jsonl|csv] [--batch-size N]
       npm run backfill -- --from whmcs [--time-zone Area/City] [--since …] [--award …] [--dry-run]

Imports a panel's history: canonical events as JSON lines (the webhook's format), or a CSV with
one row per invoice line (see README, "Bringing in a panel's history"), or WHMCS's paid invoices
read through its API (WHMCS_API_URL, WHMCS_API_IDENTIFIER, WHMCS_API_SECRET). Same rules as live
events; a re-run, or a run after a kill, adds nothing twice. Rows that can't be imported are
listed with the reasons in <file>.refused.jsonl (whmcs-history.refused.jsonl from WHMCS).
  --since       only events on or after this day (UTC)
  --award       points (default): opening points for past purchases, expired ones expired at
                once; tiers-only: qualifying spend and tiers, no points
  --dry-run     validate and report what would change; writes nothing to the database
  --time-zone   the WHMCS server's time zone, which its API's dates are in (default: the
                program's time_zone setting)
Exit codes: 0 done, 1 failed, 2 usage, 4 configuration.`;


interface Args {
  input: { from: 'file'; file: string; format: HistoryFormat } | { from: 'whmcs'; timeZone?: string };
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
      'time-zone': { type: 'string' },
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
  let input: Args['input'];
  if (values.from !== undefined) {
    if (values.from !== 'whmcs') throw new UsageError(`--from must be whmcs, the panel whose API the history can be read from (got ${JSON.stringify(values.from)}); export any other as JSON lines or CSV and pass --file`);
    if (values.file !== undefined || values.format !== undefined) throw new UsageError('--from whmcs reads the history from WHMCS: leave out --file and --format');
    const timeZone = values['time-zone'];
    if (timeZone !== undefined && !isTimeZone(timeZone)) throw new UsageError(`--time-zone must be an IANA time zone such as Europe/Istanbul (got ${JSON.stringify(timeZone)})`);
    input = { from: 'whmcs', timeZone };
  } else {
    const file = values.file;
    if (!file) throw new UsageError('Name the history file with --file, or read WHMCS through its API with --from whmcs');
    if (values['time-zone'] !== undefined) throw new UsageError('--time-zone is for --from whmcs: a file\'s events carry their own offsets');
    if (!fs.existsSync(file)) throw new UsageError(`--file ${file}: no such file`);
    if (!fs.statSync(file).isFile()) throw new UsageError(`--file ${file}: not a regular file (a directory, a device or a pipe can't be read twice: once to count, once to import)`);
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch {
      throw new UsageError(`--file ${file}: can't be read by this user`);
    }
    const format = values.format ?? formatOf(file);
    if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format must be jsonl or csv (got ${JSON.stringify(format)})`);
    input = { from: 'file', file, format };
  }
  const since = values.since;
  if (since !== undefined && !isDay(since)) throw new UsageError(`--since must be a date, YYYY-MM-DD (got ${JSON.stringify(since)})`);
  const award = values.award ?? 'points';
  if (!(AWARD_MODES as readonly string[]).includes(award)) throw new UsageError(`--award must be ${AWARD_MODES.join(' or ')} (got ${JSON.stringify(award)})`);
  const batch = values['batch-size'];
  const batchSize = batch === undefined ? DEFAULT_BATCH_SIZE : /^\d{1,5}$/.test(batch) ? Number(batch) : Number.NaN;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 20_000) {
    throw new UsageError(`--batch-size must be a whole number from 1 to 20000 (got ${JSON.stringify(batch)})`);
  }
  return {
    input,
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
    `  duplicates ${n(s.duplicates)}, before --since ${n(s.skipped)}${s.leftOut > 0 ? `, left out by --award tiers-only ${n(s.leftOut)}` : ''}, through the live path ${n(s.live)}, refused ${n(s.refused)}`,
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
    // Before anything is imported: a run that can't report what it refuses would fail at the
    // first refusal, and again on every run after.
    try {
      fs.accessSync(nodePath.dirname(nodePath.resolve(path)), fs.constants.W_OK);
    } catch {
      throw new UsageError(`can't write the refused-rows report ${path}: its directory is not writable by this user; run from (or copy the file to) a directory it can write`);
    }
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

/** Where the history comes from: its rows, their count for the progress bar, and where refusals go. */
interface HistorySource {
  rows(): AsyncIterable<HistoryRow>;
  total(): Promise<number>;
  /** What the progress bar counts. */
  unit: string;
  refusedFile: string;
  /** Read from the panel today rather than replayed (see `BackfillOptions.rereadFromPanel`). */
  rereadFromPanel: boolean;
}

async function openHistory(input: Args['input'], config: PluginConfig, plugin: HostingRewardsPlugin): Promise<HistorySource> {
  if (input.from === 'file') {
    return { rows: () => readHistory(input.file, input.format), total: () => countLines(input.file), unit: 'lines', refusedFile: `${input.file}.refused.jsonl`, rereadFromPanel: false };
  }
  const { whmcsApiUrl: url, whmcsApiIdentifier: identifier, whmcsApiSecret: secret } = config;
  if (url === undefined || identifier === undefined || secret === undefined) {
    throw new ConfigError(
      '--from whmcs needs the WHMCS API: WHMCS_API_URL, WHMCS_API_IDENTIFIER and WHMCS_API_SECRET are not all set',
      'Create an API credential in WHMCS (System Settings > API Credentials) with GetInvoices, GetInvoice, GetClientsDetails, GetOrders and GetClientsProducts, and set the three variables.',
    );
  }
  const api = new WhmcsApiClient({ url, identifier, secret, accessKey: config.whmcsApiAccessKey, timeoutMs: config.whmcsApiTimeoutMs });
  const whmcs = new WhmcsHistory(api, { timeZone: input.timeZone ?? (await plugin.services.program.current()).timeZone });
  return { rows: () => whmcs.rows(), total: () => whmcs.count(), unit: 'invoices', refusedFile: 'whmcs-history.refused.jsonl', rereadFromPanel: true };
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
    const history = await openHistory(args.input, config, plugin);
    const refusals = new RefusalFile(history.refusedFile);
    refused = refusals;
    const total = await history.total();
    progress = new Progress('backfill', process.stdout, { unit: history.unit, rate: true });
    progress.update(0, total);
    let reported = 0;
    let expiring: Progress | undefined;
    type Shown = Pick<BackfillSummary, 'invoices' | 'members' | 'points' | 'refused'>;
    const shown = (c: Shown): Shown => ({ invoices: c.invoices, members: c.members, points: c.points, refused: c.refused });
    let lastCounts: Shown = { invoices: 0, members: 0, points: 0, refused: 0 };
    /** Trailing blank lines are never reported by a batch: the bar still ends full. */
    const fileDone = (c: Shown) => {
      if (reported < total) progress?.update(total, total, shown(c));
      progress?.finish();
    };
    const started = performance.now();
    const result = await plugin.services.backfill.run(
      history.rows(),
      { award: args.award, since: args.since, dryRun: args.dryRun, batchSize: args.batchSize, rereadFromPanel: history.rereadFromPanel },
      {
        onRefused: (r) => refusals.write(r),
        onProgress: (lines, c) => {
          reported = lines;
          lastCounts = c;
          progress?.update(lines, total, shown(c));
        },
        onExpiry: (done, members) => {
          if (!expiring) {
            fileDone(lastCounts);
            expiring = new Progress('expiring', process.stdout, { unit: 'members', rate: true });
          }
          expiring.update(done, members);
        },
      },
    );
    if (expiring) expiring.finish();
    else fileDone(result);
    process.stdout.write(`${summary(result, (performance.now() - started) / 1000, refusals.path)}\n`);
    return EXIT.done;
  } catch (err) {
    progress?.finish();
    return failure('backfill', accessProblem(err) ?? err, USAGE, 'What committed stays; run the same command again to resume (imported events are skipped).');
  } finally {
    refused?.close();
    await plugin?.shutdown();
  }
}

/** WHMCS not letting us in is the configuration's to fix (exit 4), whichever call met it first. */
function accessProblem(err: unknown): ConfigError | undefined {
  if (!(err instanceof WhmcsApiError) || !err.accessDenied) return undefined;
  return new ConfigError(
    err.message,
    "Check WHMCS_API_IDENTIFIER and WHMCS_API_SECRET against WHMCS's API credentials (their role must allow GetInvoices, GetInvoice, GetClientsDetails, GetOrders and GetClientsProducts), and add this machine's IP address to WHMCS's API IP allow list or set WHMCS_API_ACCESS_KEY. Then run the same command again: what committed stays, and imported events are skipped.",
  );
}

runCommand('backfill', () => main(process.argv.slice(2)));
