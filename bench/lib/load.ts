import http from 'node:http';

export interface PhaseResult {
  ok: number;
  failed: number;
  elapsedMs: number;
  /** The first few distinct failure messages. */
  errors: string[];
}

export interface LoopLimits {
  maxOps?: number;
  /** A dead server fails every request at once; stop the phase instead of counting thousands. */
  maxFailures?: number;
  /** Checked before each op: the run is being torn down. */
  stopped?: () => boolean;
}

export const DEFAULT_MAX_FAILURES = 100;

/**
 * Runs `op` in `concurrency` parallel loops until `durationMs` passes or `maxOps` are started,
 * then waits for the ones in flight (each is bounded by its own timeout). The rate is ok ops
 * over the time until the last one finished, so a slow last request is paid for, not hidden.
 */
export async function runLoops(
  concurrency: number,
  durationMs: number,
  op: (worker: number) => Promise<void>,
  limits: LoopLimits = {},
): Promise<PhaseResult> {
  const { maxOps = Number.POSITIVE_INFINITY, maxFailures = DEFAULT_MAX_FAILURES, stopped = () => false } = limits;
  const result: PhaseResult = { ok: 0, failed: 0, elapsedMs: 0, errors: [] };
  const start = performance.now();
  const deadline = start + durationMs;
  let started = 0;
  const loop = async (worker: number) => {
    while (!stopped() && performance.now() < deadline && started < maxOps && result.failed < maxFailures) {
      started++;
      try {
        await op(worker);
        result.ok++;
      } catch (err) {
        result.failed++;
        const message = (err as Error).message;
        if (result.errors.length < 5 && !result.errors.includes(message)) result.errors.push(message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, worker) => loop(worker)));
  result.elapsedMs = performance.now() - start;
  return result;
}

export interface OpenLoopResult {
  /** Latencies of the answered ops, sorted, in ms. */
  latencies: number[];
  failed: number;
  errors: string[];
  /** How far behind schedule the last op was sent: a loaded client would hide the server's queue. */
  lagMs: number;
}

/**
 * Offers `rate` ops per second for `durationMs`, each started on its schedule whatever the
 * earlier ones are doing (open loop, as panels and customers send), and waits for the last.
 * Latency runs from the scheduled instant, so a client that falls behind counts against the
 * server rather than hiding its queue.
 */
export async function openLoop(rate: number, durationMs: number, op: () => Promise<void>, limits: LoopLimits = {}): Promise<OpenLoopResult> {
  const { stopped = () => false } = limits;
  const result: OpenLoopResult = { latencies: [], failed: 0, errors: [], lagMs: 0 };
  const total = Math.round((rate * durationMs) / 1000);
  const start = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total && !stopped(); i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    result.lagMs = Math.max(0, performance.now() - due);
    inFlight.push(
      op().then(
        () => void result.latencies.push(performance.now() - due),
        (err: Error) => {
          result.failed++;
          if (result.errors.length < 5 && !result.errors.includes(err.message)) result.errors.push(err.message);
        },
      ),
    );
  }
  await Promise.all(inFlight);
  result.latencies.sort((a, b) => a - b);
  return result;
}

/** The `p`th percentile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Ops per second of a phase. */
export function opsPerSecond(result: PhaseResult): number {
  return result.ok / (result.elapsedMs / 1000);
}

export const REQUEST_TIMEOUT_MS = 10_000;

/** One POST over a keep-alive agent; resolves with any status, rejects only on a network error or timeout. */
export function post(
  agent: http.Agent,
  port: number,
  urlPath: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
