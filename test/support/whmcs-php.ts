import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The addon as it ships, and the PHP stand-in for WHMCS that loads it (test/whmcs/harness.php). */
export const WHMCS_ADDON = path.resolve(__dirname, '../../integrations/whmcs/modules/addons/hosting_rewards');
const HARNESS = path.resolve(__dirname, '../whmcs/harness.php');
export const PHP = process.env.PHP_BINARY ?? '/usr/bin/php';

type Row = Record<string, unknown>;

/** WHMCS's database and API answers, as the harness keeps them between runs. */
export interface WhmcsState {
  tables: Record<string, Row[]>;
  schemas?: Record<string, unknown>;
  api: { invoices: Record<string, Row>; clients: Record<string, Row>; shape?: 'nested' | 'flattened' };
}

export type WhmcsStep =
  | { hook: string; vars?: Record<string, unknown> }
  | { call: 'config' | 'activate' | 'deactivate' | 'clientarea' | 'output'; vars?: Record<string, unknown>; get?: Record<string, string> }
  | { set: { settings?: Record<string, string> } };

export interface SentDelivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  answer: string;
  error: string;
}

export interface WhmcsRun {
  state: WhmcsState;
  activity: string[];
  sent: SentDelivery[];
  results: unknown[];
}

/** Runs the addon's hooks and pages in PHP against `state`; returns the new state and what happened. */
export async function runWhmcs(
  state: WhmcsState,
  steps: WhmcsStep[],
  options: {
    session?: Record<string, unknown>;
    config?: Record<string, unknown>;
    timezone?: string;
    /** The plugin's answer faked for deliveries whose event id starts with a key (nothing is sent for them). */
    answers?: Record<string, number>;
  } = {},
): Promise<WhmcsRun> {
  if (!existsSync(PHP)) throw new Error(`${PHP} is missing: the WHMCS addon tests need PHP (apt-get install -y php-cli php-curl, or set PHP_BINARY)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'whmcs-'));
  try {
    const input = path.join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ state, steps, addon: WHMCS_ADDON, session: options.session ?? {}, config: options.config ?? {}, timezone: options.timezone ?? 'UTC', answers: options.answers ?? {} }));
    const { stdout, stderr } = await run(PHP, ['-d', 'display_errors=stderr', '-d', 'error_reporting=E_ALL', HARNESS, input], { maxBuffer: 32 * 1024 * 1024 });
    // Any notice, warning or deprecation PHP printed fails the run: the addon must run clean at E_ALL.
    if (stderr.trim() !== '') throw new Error(`PHP wrote to stderr while running the addon:\n${stderr}`);
    return JSON.parse(stdout) as WhmcsRun;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The addon's settings rows (tbladdonmodules). */
export function addonSettings(values: Record<string, string>): Row[] {
  return Object.entries(values).map(([setting, value]) => ({ module: 'hosting_rewards', setting, value }));
}

/** WHMCS's local date-time format (`Y-m-d H:i:s`, here in UTC). */
export function whmcsDate(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}
