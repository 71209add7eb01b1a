import fs from 'node:fs';
import path from 'node:path';
import { LOCALES_DIR } from '../../plugin/i18n';

/** Words English strings use; a translated page containing one has a string someone forgot. */
const ENGLISH = (() => {
  const { meta: _meta, demo: _demo, ...strings } = JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, 'en.json'), 'utf8')) as Record<string, unknown>;
  const words = JSON.stringify(strings)
    .replace(/{{\w+}}/g, ' ')
    .replace(/"[a-z_]+":/g, ' ')
    .toLowerCase()
    .match(/[a-z]{3,}/g);
  return new Set(words ?? []);
})();

export function readable(html: string): string {
  return html
    .replace(/<head>[\s\S]*?<\/head>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t\r\n]+/g, ' ')
    .trim();
}

/** The page's English words, and the words people read in attributes (aria-label). */
export function englishLeft(html: string): string[] {
  const labels = [...html.matchAll(/aria-label="([^"]*)"/g)].map((m) => m[1]).join(' ');
  const words = `${readable(html)} ${labels}`.match(/[A-Za-z]{3,}/g) ?? [];
  // Currency codes (TRY, USD) are names, not English.
  return [...new Set(words.filter((w) => !/^[A-Z]{3}$/.test(w) && ENGLISH.has(w.toLowerCase())))];
}

