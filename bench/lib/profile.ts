import fs from 'node:fs';
import path from 'node:path';
import { fmt, table } from './log';

/** Self time from the server's .cpuprofile, grouped by package or plugin file. */
export function summariseProfile(dir: string, root: string): string {
  // Sorted, the main thread's profile (thread 0) comes first; tsx adds a loader-hooks thread.
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort() : [];
  const first = files[0];
  if (first === undefined) return `no .cpuprofile in ${dir} (did the server exit cleanly?)`;
  interface CpuProfile {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    samples: number[];
    timeDeltas: number[];
  }
  const profile = JSON.parse(fs.readFileSync(path.join(dir, first), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    total += us;
    const url = frame.url.replace(/^file:\/\//, '');
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
    // Frames without a URL are V8 or libuv bindings: writeBuffer/writev are socket writes.
    const native = frame.functionName.startsWith('(') ? frame.functionName : `(native) ${frame.functionName}`;
    const group = pkg ?? (url.startsWith(root) ? path.relative(root, url) : url || native);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    const fn = url ? `${frame.functionName || '(anonymous)'} ${pkg ?? path.basename(url)}:${frame.lineNumber + 1}` : native;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  });
  const top = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([k, us]) => [k, `${fmt(us / 1000)} ms`, `${fmt((us / total) * 100, 1)}%`]);
  return [
    `server CPU profile (${path.join(dir, first)}), whole server life, idle excluded: ${fmt(total / 1000)} ms`,
    '',
    table(['self time by package / file', 'ms', 'share'], top(byGroup)),
    '',
    table(['self time by function', 'ms', 'share'], top(byFunction)),
  ].join('\n');
}
