import fs from 'node:fs';
import path from 'node:path';
import { LANGUAGES, LOCALES_DIR } from '../../plugin/i18n';
import { PACKAGE_ROOT, TEMPLATES_DIR } from '../../plugin/paths';

/**
 * Locale keys against the code and templates that use them: every key used exists in every
 * locale, no key is left that nothing uses, and no template writes a word for people itself.
 */

function walk(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p, ext) : e.name.endsWith(ext) ? [p] : [];
  });
}

function flatten(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (typeof v === 'object' && v !== null ? flatten(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

const PLURAL = /_(zero|one|two|few|many|other)$/;
const read = (file: string) => fs.readFileSync(file, 'utf8');
const localeKeys = (language: string): Set<string> => {
  const { meta: _meta, ...strings } = JSON.parse(read(path.join(LOCALES_DIR, `${language}.json`))) as Record<string, unknown>;
  return new Set(flatten(strings).map((k) => k.replace(PLURAL, '')));
};
const EN = localeKeys('en');
const SECTIONS = [...new Set([...EN].map((k) => k.split('.')[0]))];

const code = [...walk(path.join(PACKAGE_ROOT, 'plugin'), '.ts'), ...walk(path.join(PACKAGE_ROOT, 'hooks'), '.ts')].map(read).join('\n');
const templates = walk(TEMPLATES_DIR, '.hbs').map((f) => ({ file: path.relative(TEMPLATES_DIR, f), source: read(f) }));
const everything = `${code}\n${templates.map((t) => t.source).join('\n')}`;

/** Keys written out in full: 'rewards.heading', "error.sso_used", {{t "app.title"}}. */
const literal = new Set(
  [...everything.matchAll(/['"]([a-z_]+(?:\.[a-z_]+)*)['"]/g)].map((m) => m[1] ?? '').filter((k) => SECTIONS.includes(k.split('.')[0] ?? '')),
);
/** Keys built at run time: `reason.${code}`, `rules.cap_${period}` use every key under the prefix. */
const prefixes = [...code.matchAll(/`([a-z_]+(?:\.[a-z_]+)*[._])\$\{/g)].map((m) => m[1] ?? '').filter((p) => SECTIONS.includes(p.split('.')[0] ?? ''));
const used = (key: string) => literal.has(key) || prefixes.some((p) => key.startsWith(p));

describe('locale keys and their use', () => {
  it('finds the keys the tab uses, written out and built', () => {
    expect(literal.has('rewards.heading')).toBe(true);
    expect(prefixes).toEqual(expect.arrayContaining(['reason.', 'rewards.filter_']));
  });

  it('uses every key of the locale files', () => {
    expect([...EN].filter((k) => !used(k))).toEqual([]);
  });

  it.each(LANGUAGES)('%s has every key the code and templates name', (language) => {
    const keys = localeKeys(language);
    expect([...literal].filter((k) => k.includes('.') && !keys.has(k))).toEqual([]);
    expect([...EN].filter((k) => !keys.has(k))).toEqual([]);
  });

  it('every {{t "…"}} in the templates names a key that exists', () => {
    const named = templates.flatMap((t) => [...t.source.matchAll(/[{(]t ["']([^"']+)["']/g)].map((m) => `${t.file}: ${m[1]}`));
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((n) => !EN.has(n.split(': ')[1] ?? ''))).toEqual([]);
  });
});

/**
 * What a template shows people comes from a locale file: outside `{{ }}` and tags, a template
 * holds only punctuation and symbols (`:`, `→`, `·`), and the attributes people read or hear
 * (aria-label, title, alt, placeholder) hold only expressions.
 */
function hardCoded(source: string): string[] {
  const withoutComments = source.replace(/{{!--[\s\S]*?--}}/g, '').replace(/{{![\s\S]*?}}/g, '').replace(/<!--[\s\S]*?-->/g, '');
  const words: string[] = [];
  const expressionsOut = withoutComments.replace(/{{[\s\S]*?}}/g, '§');
  for (const m of expressionsOut.matchAll(/\b(aria-label|title|alt|placeholder)="([^"]*)"/g)) {
    if (/\p{L}/u.test(m[2] ?? '')) words.push(`${m[1]}="${m[2]}"`);
  }
  const text = expressionsOut.replace(/<(script|style)[\s\S]*?<\/\1>/g, '').replace(/<[^>]*>/g, ' ');
  for (const m of text.matchAll(/[^\s§]*\p{L}[^\s§]*/gu)) words.push(m[0]);
  return words;
}

describe('templates hard-code no words', () => {
  it('the scan finds words in text and in the attributes people hear', () => {
    expect(hardCoded('<p>Hello {{name}}</p><a aria-label="Go {{x}}" href="{{url}}">{{t "k"}} →</a>{{!-- a note --}}')).toEqual(['aria-label="Go §"', 'Hello']);
  });

  it.each(templates.map((t) => [t.file, t.source]))('%s', (_file, source) => {
    expect(hardCoded(source)).toEqual([]);
  });
});
