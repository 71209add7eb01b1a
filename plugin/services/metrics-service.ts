import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/database';

/** How long the ledger totals (a full scan) are served from memory. */
const LEDGER_TOTALS_TTL_MS = 60_000;

/** A job's end, as the scheduler reports it. */
export interface JobRunReport {
  job: string;
  status: 'done' | 'skipped' | 'failed';
  seconds: number;
}

/**
 * The plugin's Prometheus metrics, in a registry of its own (a host may run several plugins,
 * and tests run several apps, in one process). Counters are bumped where things happen; the
 * database-backed gauges are read when scraped.
 */
export class MetricsService {
  readonly registry = new Registry();
  private readonly events: Counter<'type' | 'outcome'>;
  private readonly webhookSeconds: Histogram<'status'>;
  private readonly jobRuns: Counter<'job' | 'status'>;
  private readonly jobSeconds: Histogram<'job'>;
  private ledgerCache: { at: number; totals: Array<{ kind: string; points: number }> } | null = null;

  constructor(private readonly db: Database) {
    const registers = [this.registry];
    this.events = new Counter({
      name: 'hosting_rewards_events_total',
      help: 'Webhook deliveries by event type and outcome (applied, ignored, duplicate, or the error code of a refusal)',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.webhookSeconds = new Histogram({
      name: 'hosting_rewards_webhook_duration_seconds',
      help: 'Time from a webhook request arriving to its answer, by status',
      labelNames: ['status'],
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.jobRuns = new Counter({ name: 'hosting_rewards_job_runs_total', help: 'Job runs by job and status', labelNames: ['job', 'status'], registers });
    this.jobSeconds = new Histogram({
      name: 'hosting_rewards_job_duration_seconds',
      help: 'Duration of job runs that did work',
      labelNames: ['job'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers,
    });
    new Gauge({
      name: 'hosting_rewards_outbox_actions',
      help: 'Panel actions waiting to be sent (pending) or given up on (failed), by action',
      labelNames: ['action', 'state'],
      registers,
      collect: async function (this: Gauge<'action' | 'state'>) {
        this.reset();
        for (const row of await db.repos.outbox.countOpenByAction()) this.set({ action: row.action, state: row.state }, row.count);
      },
    });
    new Gauge({
      name: 'hosting_rewards_db_pool_connections',
      help: 'Database pool connections by state (used, free), callers waiting (pending), and the pool size (max)',
      labelNames: ['state'],
      registers,
      collect: function (this: Gauge<'state'>) {
        const stats = db.poolStats();
        for (const state of ['used', 'free', 'pending', 'max'] as const) this.set({ state }, stats[state]);
      },
    });
    const metrics = this;
    new Gauge({
      name: 'hosting_rewards_ledger_points',
      help: `Sum of ledger deltas by entry kind (refreshed at most every ${LEDGER_TOTALS_TTL_MS / 1000} s)`,
      labelNames: ['kind'],
      registers,
      collect: async function (this: Gauge<'kind'>) {
        this.reset();
        for (const row of await metrics.ledgerTotals()) this.set({ kind: row.kind }, row.points);
      },
    });
  }

  /** A webhook request ended: `outcome` is the event's outcome or the refusal's code. */
  webhookFinished(info: { status: number; seconds: number; type?: string; outcome?: string }): void {
    this.webhookSeconds.observe({ status: String(info.status) }, info.seconds);
    this.events.inc({ type: info.type ?? 'unknown', outcome: info.outcome ?? String(info.status) });
  }

  jobFinished(report: JobRunReport): void {
    this.jobRuns.inc({ job: report.job, status: report.status });
    if (report.status !== 'skipped') this.jobSeconds.observe({ job: report.job }, report.seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async ledgerTotals(): Promise<Array<{ kind: string; points: number }>> {
    const now = Date.now();
    if (!this.ledgerCache || now - this.ledgerCache.at > LEDGER_TOTALS_TTL_MS) {
      this.ledgerCache = { at: now, totals: await this.db.repos.ledger.totalsByKind() };
    }
    return this.ledgerCache.totals;
  }
}
