import fs from 'node:fs';
import path from 'node:path';

/** The package root, found the same way from sources (plugin/) and from the build (dist/plugin/). */
function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${start}`);
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot(__dirname);
export const TEMPLATES_DIR = path.join(PACKAGE_ROOT, 'templates');
export const PUBLIC_DIR = path.join(PACKAGE_ROOT, 'public');
