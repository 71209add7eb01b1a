import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const DEPCRUISE = path.join(ROOT, 'node_modules/.bin/depcruise');

/**
 * `npm run lint:deps` must be able to fail: the project's own rules, run over a few probe
 * files laid out like the plugin, report each kind of breach the issue names.
 */
function cruise(files: Record<string, string>): { status: number; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-layers-'));
  try {
    fs.copyFileSync(path.join(ROOT, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs' } }));
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    try {
      const tops = [...new Set(Object.keys(files).map((f) => f.split('/')[0] as string))];
      const output = execFileSync(DEPCRUISE, ['--config', '.dependency-cruiser.cjs', ...tops], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
      return { status: 0, output };
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      return { status: e.status, output: `${e.stdout}${e.stderr}` };
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('the dependency rules (lint:deps)', () => {
  it('pass a layout that points down', () => {
    const r = cruise({
      'plugin/domain/money.ts': 'export const cents = 100;\n',
      'plugin/services/earning.ts': "import { cents } from '../domain/money';\nexport const earn = () => cents;\n",
      'hooks/paid.ts': "import { earn } from '../plugin/services/earning';\nexport const paid = () => earn();\n",
    });
    expect(r).toMatchObject({ status: 0 });
  });

  it.each([
    ['no-cycles', { 'plugin/services/a.ts': "import { b } from './b';\nexport const a = () => b;\n", 'plugin/services/b.ts': "import { a } from './a';\nexport const b = () => a;\n" }],
    ['services-not-web', { 'plugin/web/format.ts': 'export const f = 1;\n', 'plugin/services/s.ts': "import { f } from '../web/format';\nexport const s = f;\n" }],
    ['services-not-hooks', { 'hooks/h.ts': 'export const h = 1;\n', 'plugin/services/s.ts': "import { h } from '../../hooks/h';\nexport const s = h;\n" }],
    ['domain-is-pure', { 'plugin/services/s.ts': 'export const s = 1;\n', 'plugin/domain/d.ts': "import { s } from '../services/s';\nexport const d = s;\n" }],
    ['panels-not-repositories', { 'plugin/repositories/r.ts': 'export const r = 1;\n', 'plugin/panels/p.ts': "import { r } from '../repositories/r';\nexport const p = r;\n" }],
  ])('fail on %s', (rule, files) => {
    const r = cruise(files);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(rule);
  });
});
