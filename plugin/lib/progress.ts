/**
 * Progress for commands (npm run job, the benches): a bar redrawn in place on a terminal, and
 * plain lines elsewhere (a log file, CI, a test reading the output), throttled so a long run
 * writes a line every few seconds rather than one per batch. No dependency: a bar is a
 * dozen lines, and a library would own the terminal we also print the report to.
 */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What is being counted ("lots", "members"). */
  unit: string;
  /** Plain-line mode: at most one line per this many ms (the first and last always print). */
  lineEveryMs?: number;
  /** Show the rate (units per second since the first update) and, with a total, the time left. */
  rate?: boolean;
  now?: () => number;
}

/** `m:ss`, or `h:mm:ss` past an hour. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

const BAR_WIDTH = 28;

export class Progress {
  private lastLine = -Infinity;
  private drawn = false;
  private started: number | null = null;
  private readonly now: () => number;

  constructor(
    private readonly label: string,
    private readonly out: ProgressOutput,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? (() => Date.now());
  }

  /** `done` of `total` (null: unknown), with extra figures (counts) shown after it. */
  update(done: number, total: number | null, extra: Record<string, number> = {}): void {
    const figures = Object.entries(extra)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const share = total && total > 0 ? Math.min(1, done / total) : null;
    const amount = `${done}${total === null ? '' : `/${total}`} ${this.options.unit}${this.pace(done, total)}`;
    if (this.out.isTTY) {
      const bar = share === null ? '' : `[${'#'.repeat(Math.round(share * BAR_WIDTH)).padEnd(BAR_WIDTH, '-')}] ${String(Math.floor(share * 100)).padStart(3)}% `;
      const line = `${this.label} ${bar}${amount}${figures ? `  ${figures}` : ''}`;
      const width = this.out.columns ?? 100;
      this.out.write(`\r${line.slice(0, width - 1).padEnd(width - 1)}`);
      this.drawn = true;
      return;
    }
    const t = this.now();
    if (t - this.lastLine < (this.options.lineEveryMs ?? 2_000) && !(total !== null && done >= total)) return;
    this.lastLine = t;
    this.out.write(`${this.label}: ${amount}${share === null ? '' : ` (${Math.floor(share * 100)}%)`}${figures ? ` ${figures}` : ''}\n`);
  }

  /** `, 1234/s, ETA 0:42` once a second has passed (a rate over less says nothing). */
  private pace(done: number, total: number | null): string {
    if (!this.options.rate) return '';
    const t = this.now();
    this.started ??= t;
    const seconds = (t - this.started) / 1000;
    if (seconds < 1) return '';
    const rate = done / seconds;
    const eta = total !== null && rate > 0 && done < total ? `, ETA ${clock((total - done) / rate)}` : '';
    return `, ${Math.round(rate)}/s${eta}`;
  }

  /** Ends the bar's line, so what is printed next starts on its own. */
  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
