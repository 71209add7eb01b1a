/** One submitted item and how to answer its caller. */
export interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

/**
 * A group-commit queue: items are submitted one at a time, and those that arrive while
 * `maxInFlight` batches are running wait and then go together, up to `maxBatch` in a batch.
 * Nothing waits for a batch to fill: an item that finds a free slot starts at once, alone, so
 * an idle queue adds no latency and a busy one shares each transaction among more items.
 * `run` settles each item of its batch; if it throws, those it left unsettled fail with its
 * error (a promise settles once, so the others keep their answers).
 */
export class GroupCommit<I, O> {
  private readonly waiting: Array<Waiting<I, O>> = [];
  private running = 0;

  constructor(
    private readonly run: (batch: ReadonlyArray<Waiting<I, O>>) => Promise<void>,
    private readonly limits: { maxBatch: number; maxInFlight: number },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.limits.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.limits.maxBatch);
      this.running++;
      void this.run(batch)
        .catch((err: unknown) => {
          for (const w of batch) w.reject(err);
        })
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
