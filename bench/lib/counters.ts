import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type mysql from 'mysql2/promise';
import { fmt } from './log';
import type { PhaseResult } from './load';

/**
 * Where time goes: MariaDB's server counters (statements, commits, fsyncs, lock waits) and the
 * CPU time of the three processes (server, mysqld, bench), read before and after each phase.
 */

const STATUS_VARS = [
  'Questions',
  'Com_begin',
  'Com_commit',
  'Com_rollback',
  'Com_insert',
  'Com_select',
  'Com_update',
  'Innodb_data_fsyncs',
  'Innodb_row_lock_waits',
  'Innodb_deadlocks',
] as const;
type StatusVar = (typeof STATUS_VARS)[number];

export interface Snapshot {
  at: number;
  status: Record<StatusVar, number>;
  /** CPU seconds. */
  cpu: { server: number; mysqld: number; bench: number };
  /** The server's resident set, kB. */
  serverRssKb: number;
  /** Busy CPU seconds of the whole machine, to spot load from outside the bench. */
  machineBusy: number;
}

/** A phase and the counters around it. */
export interface Measured {
  result: PhaseResult;
  before: Snapshot;
  after: Snapshot;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process in seconds, or NaN where /proc can't tell (remote DB, not Linux). */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

function machineBusySeconds(): number {
  try {
    const [, ...ticks] = (fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
    return (user + nice + system + irq + softirq + steal) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** The local mariadbd/mysqld, for its CPU time; undefined when the server is remote or /proc is hidden. */
export function findMysqldPid(local: boolean): number | undefined {
  if (!local) return undefined;
  try {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const comm = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm === 'mariadbd' || comm === 'mysqld') return Number(entry);
    }
  } catch {
    // Not Linux, or /proc is hidden: the CPU columns read n/a.
  }
  return undefined;
}

export function procStatusKb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

export async function snapshot(admin: mysql.Connection, pids: { server?: number; mysqld?: number }): Promise<Snapshot> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(
    `SHOW GLOBAL STATUS WHERE Variable_name IN (${STATUS_VARS.map(() => '?').join(', ')})`,
    [...STATUS_VARS],
  );
  const status = Object.fromEntries(STATUS_VARS.map((v) => [v, NaN])) as Record<StatusVar, number>;
  for (const row of rows) status[row.Variable_name as StatusVar] = Number(row.Value);
  const own = process.cpuUsage();
  return {
    at: performance.now(),
    status,
    cpu: { server: cpuSeconds(pids.server), mysqld: cpuSeconds(pids.mysqld), bench: (own.user + own.system) / 1e6 },
    serverRssKb: procStatusKb(pids.server, 'VmRSS'),
    machineBusy: machineBusySeconds(),
  };
}

/** Runs a phase between two snapshots. */
export async function measure(
  admin: mysql.Connection,
  pids: { server?: number; mysqld?: number },
  phase: () => Promise<PhaseResult>,
): Promise<Measured> {
  const before = await snapshot(admin, pids);
  const result = await phase();
  return { result, before, after: await snapshot(admin, pids) };
}

export const DETAIL_HEADER = [
  ...['phase', 'c', 'ops/s', 'stmts/op', 'commits/op', 'fsyncs/op', 'lock waits', 'deadlocks'],
  ...['server µs/op', 'mysqld µs/op', 'bench µs/op', 'CPU busy', 'other CPU', 'server RSS MB'],
];

/**
 * Per-op costs: statements, fsyncs and CPU, which say whether a phase waits on disk or on a
 * core. `baseline` rows have no server of ours, so its columns read "-".
 */
export function detailRow(label: string, concurrency: number, m: Measured, options: { baseline?: boolean } = {}): string[] {
  const d = (v: StatusVar) => m.after.status[v] - m.before.status[v];
  const ops = m.result.ok || 1;
  const wall = (m.after.at - m.before.at) / 1000;
  const cpu = (k: keyof Snapshot['cpu']) => m.after.cpu[k] - m.before.cpu[k];
  const perOpUs = (k: keyof Snapshot['cpu']) => (cpu(k) / ops) * 1e6;
  const ours = (cpu('server') || 0) + (cpu('mysqld') || 0) + cpu('bench');
  const busy = ours / wall / os.cpus().length;
  const other = (m.after.machineBusy - m.before.machineBusy - ours) / wall / os.cpus().length;
  return [
    label,
    String(concurrency),
    fmt(m.result.ok / (m.result.elapsedMs / 1000)),
    fmt(d('Questions') / ops, 1),
    fmt(d('Com_commit') / ops, 2),
    fmt(d('Innodb_data_fsyncs') / ops, 2),
    fmt(d('Innodb_row_lock_waits')),
    fmt(d('Innodb_deadlocks')),
    options.baseline ? '-' : fmt(perOpUs('server')),
    fmt(perOpUs('mysqld')),
    fmt(perOpUs('bench')),
    `${fmt(busy * 100)}%`,
    `${fmt(Math.max(0, other) * 100)}%`,
    options.baseline ? '-' : fmt(m.after.serverRssKb / 1024),
  ];
}
