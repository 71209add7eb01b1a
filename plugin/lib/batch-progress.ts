/** How far a batched walk is: `done` of `total` items (null when it can't be counted cheaply), and its counts so far. */
export interface BatchProgressReport {
  done: number;
  total: number | null;
  /** What the items are ("lots", "members"), for a progress line. */
  unit: string;
  counts: Record<string, number>;
}

/**
 * A batched job's progress, reported after each batch (to `JobContext.progress`: the CLI's bar
 * or lines): items walked against a total counted when the walk began, or null when the job
 * can't count its work cheaply.
 */
export class BatchProgress {
  private done = 0;

  constructor(
    private readonly report: (progress: BatchProgressReport) => void,
    private readonly unit: string,
    private readonly total: number | null,
  ) {}

  /** A batch of `items` is done; `counts` are the run's so far. */
  batch(items: number, counts: Record<string, number>): void {
    this.done += items;
    // Work that arrived after the count can take the walk past it.
    this.send(this.total === null ? null : Math.max(this.total, this.done), counts);
  }

  /**
   * The walk is over. A total counted at the start can be more than what was walked: work taken
   * along with an earlier item (a member's later lots, warned with their first) leaves the walk.
   * Nothing is left then, so the last report says all is done rather than stopping short of it.
   */
  finish(counts: Record<string, number>): void {
    if (this.total !== null && this.done > 0 && this.done < this.total) this.send(this.done, counts);
  }

  private send(total: number | null, counts: Record<string, number>): void {
    this.report({ done: this.done, total, unit: this.unit, counts: { ...counts } });
  }
}
