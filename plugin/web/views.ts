import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../paths';
import type { Translator } from '../i18n';
import { formatDate, formatInteger, formatSignedInteger } from './format';

type Template = Handlebars.TemplateDelegate;

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith('.hbs') ? [p] : [];
  });
}

/**
 * Compiles every template under templates/ once, at start-up; templates never come from user
 * input. Helpers only format values for the page's translator, which the renderer passes as
 * `@root.i18n`. `{{ }}` escapes everything; no template uses `{{{ }}}` on data.
 */
export class ViewRenderer {
  private readonly hbs = Handlebars.create();
  private readonly templates = new Map<string, Template>();

  constructor(private readonly dir: string = TEMPLATES_DIR) {}

  init(): void {
    const i18n = (options: Handlebars.HelperOptions): Translator => options.data.root.i18n as Translator;
    this.hbs.registerHelper('t', (key: string, options: Handlebars.HelperOptions) => i18n(options).t(key, options.hash));
    this.hbs.registerHelper('int', (n: number, options: Handlebars.HelperOptions) => formatInteger(i18n(options).locale, n));
    this.hbs.registerHelper('signed', (n: number, options: Handlebars.HelperOptions) =>
      formatSignedInteger(i18n(options).locale, n),
    );
    this.hbs.registerHelper('date', (d: Date, options: Handlebars.HelperOptions) => formatDate(i18n(options).locale, d));

    for (const file of walk(this.dir)) {
      const name = path.relative(this.dir, file).replace(/\\/g, '/').replace(/\.hbs$/, '');
      const source = fs.readFileSync(file, 'utf8');
      if (name.startsWith('partials/')) this.hbs.registerPartial(name.slice('partials/'.length), source);
      else this.templates.set(name, this.hbs.compile(source, { strict: false }));
    }
  }

  render(name: string, model: object, i18n: Translator, layout = 'layouts/main'): string {
    const page = this.templates.get(name);
    const frame = this.templates.get(layout);
    if (!page || !frame) throw new Error(`Template ${page ? layout : name} not found in ${this.dir}`);
    const root = { ...model, i18n, lang: i18n.language };
    return frame({ ...root, body: new Handlebars.SafeString(page(root)) });
  }
}
