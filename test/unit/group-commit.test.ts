import { GroupCommit, type Waiting } from '../../plugin/lib/group-commit';

/** A run the test finishes by hand, recording each batch it was given. */
function harness(limits: { maxBatch: number; maxInFlight: number }) {
  const batches: number[][] = [];
  const finish: Array<() => void> = [];
  const queue = new GroupCommit<number, string>(async (batch: ReadonlyArray<Waiting<number, string>>) => {
    batches.push(batch.map((w) => w.item));
    await new Promise<void>((resolve) => finish.push(resolve));
    for (const w of batch) w.resolve(`done ${w.item}`);
  }, limits);
  return { queue, batches, finish };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('starts a lone item at once, and sends what waited meanwhile together, in order, up to the batch size', async () => {
    const { queue, batches, finish } = harness({ maxBatch: 3, maxInFlight: 1 });
    const first = queue.submit(1);
    expect(batches).toEqual([[1]]);
    const rest = [2, 3, 4, 5, 6].map((n) => queue.submit(n));
    await tick();
    expect(batches).toEqual([[1]]);
    finish.shift()?.();
    await expect(first).resolves.toBe('done 1');
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    finish.shift()?.();
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    finish.shift()?.();
    await expect(Promise.all(rest)).resolves.toEqual(['done 2', 'done 3', 'done 4', 'done 5', 'done 6']);
  });

  it('runs up to maxInFlight batches at once', async () => {
    const { queue, batches, finish } = harness({ maxBatch: 10, maxInFlight: 2 });
    const all = [1, 2, 3, 4].map((n) => queue.submit(n));
    expect(batches).toEqual([[1], [2]]);
    finish.shift()?.();
    await tick();
    expect(batches).toEqual([[1], [2], [3, 4]]);
    finish.splice(0).forEach((f) => f());
    await expect(Promise.all(all)).resolves.toHaveLength(4);
  });

  it('fails the items a throwing run left unanswered, keeps the answers it gave, and goes on', async () => {
    const queue = new GroupCommit<number, number>(
      async (batch) => {
        batch[0]?.resolve(batch[0].item);
        if (batch.length > 1) throw new Error('batch failed');
      },
      { maxBatch: 5, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3].map((n) => queue.submit(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    await expect(queue.submit(9)).resolves.toBe(9);
  });
});
