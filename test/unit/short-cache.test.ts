import { ShortCache } from '../../plugin/lib/short-cache';

describe('ShortCache', () => {
  let now = 0;
  let stored = 'v1';
  let loads = 0;
  /** A load that answers what was stored when it started, once `finish` is called. */
  let pending: Array<() => void> = [];
  const slowLoad = () => {
    loads++;
    const value = stored;
    return new Promise<string>((resolve) => pending.push(() => resolve(value)));
  };
  const finish = () => {
    const waiting = pending;
    pending = [];
    for (const f of waiting) f();
  };

  beforeEach(() => {
    now = 0;
    stored = 'v1';
    loads = 0;
    pending = [];
  });

  it('keeps a value for its TTL, then reads again', async () => {
    const cache = new ShortCache(async () => (loads++, stored), 5_000, () => now);
    expect(await cache.get()).toBe('v1');
    stored = 'v2';
    now = 4_999;
    expect(await cache.get()).toBe('v1');
    now = 5_000;
    expect(await cache.get()).toBe('v2');
    expect(loads).toBe(2);
  });

  it('reads again at once after an invalidation', async () => {
    const cache = new ShortCache(async () => stored, 5_000, () => now);
    await cache.get();
    stored = 'v2';
    cache.invalidate();
    expect(await cache.get()).toBe('v2');
  });

  it('does not keep a read that overlapped a write: the next read sees the write', async () => {
    const cache = new ShortCache(slowLoad, 5_000, () => now);
    // A read starts before a write commits and ends after the write's invalidation.
    const overlapping = cache.get();
    stored = 'v2';
    cache.invalidate();
    finish();
    expect(await overlapping).toBe('v1');
    const next = cache.get();
    finish();
    expect(await next).toBe('v2');
    // That read is kept: nothing overlapped it.
    expect(await cache.get()).toBe('v2');
    expect(loads).toBe(2);
  });
});
