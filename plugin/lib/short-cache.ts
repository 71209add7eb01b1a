/**
 * One value read through to the database and kept for a few seconds: what every event reads
 * (settings, tiers, rules) stays off the hot path. `invalidate()` after a write in this process
 * makes the next read fresh. A read that overlapped an invalidation may predate the write it
 * follows, so it is answered but not kept: kept, it would hide that write for the whole TTL.
 * Other instances see a write when their copy expires.
 */
export class ShortCache<T> {
  private cached: { value: T; at: number } | null = null;
  private invalidations = 0;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
    /** Monotonic milliseconds: the injected business clock may move backwards in tests. */
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  async get(): Promise<T> {
    const now = this.monotonic();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.value;
    const invalidations = this.invalidations;
    const value = await this.load();
    if (invalidations === this.invalidations) this.cached = { value, at: now };
    return value;
  }

  invalidate(): void {
    this.invalidations++;
    this.cached = null;
  }
}
