/**
 * `npm run test:galera`: starts a 3-node MariaDB Galera cluster in a temporary folder, waits
 * until every node is synced in a cluster of three, runs the `galera` jest project against it
 * (GALERA_ROOT tells the suite where the nodes are), and always stops its own nodes by pid and
 * removes the folder: on success, on failure, on Ctrl-C. Extra arguments go to jest
 * (`npm run test:galera -- -t redemptions`). Exit code: jest's, or 1 if the cluster can't start.
 * Jest runs with --forceExit: a test that timed out must not keep the nodes running.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killNodesNow, startCluster, stopCluster } from '../test/support/galera';

const ROOT = path.resolve(__dirname, '..');

async function main(): Promise<number> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-galera-'));
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    try {
      await stopCluster(root);
    } finally {
      killNodesNow(root);
      fs.rmSync(root, { recursive: true, force: true });
    }
  };
  // Last resort: whatever ends this process, no mariadbd of ours outlives it.
  process.on('exit', () => {
    if (!cleaned) {
      killNodesNow(root);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
  let jest: ReturnType<typeof spawn> | undefined;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping the Galera nodes\n`);
      jest?.kill('SIGTERM');
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    const started = Date.now();
    process.stdout.write(`Starting a 3-node Galera cluster in ${root} (ports 3311-3313)…\n`);
    try {
      await startCluster(root, { timeoutMs: 120_000 });
    } catch (err) {
      process.stderr.write(`FAIL: the Galera cluster did not start.\n${(err as Error).message}\n`);
      return 1;
    }
    process.stdout.write(`Cluster synced, 3 nodes, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const jestBin = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
    jest = spawn(process.execPath, [jestBin, '--selectProjects', 'galera', '--runInBand', '--forceExit', ...process.argv.slice(2)], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, GALERA_ROOT: root },
    });
    const child = jest;
    return await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    process.stdout.write('Stopping the Galera nodes…\n');
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
