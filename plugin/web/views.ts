import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../paths';
import type { Translator } from '../i18n';
import { registerFormatHelpers } from '../i18n/template-helpers';
import { mountUrl } from './urls';

type Template = Handlebars.TemplateDelegate;

/** What every page is rendered with besides its model. */
export interface PageContext {
  i18n: Translator;
  /** The plugin's mount point: `{{url}}` builds links from it. */
  mount: string;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith('.hbs') ? [p] : [];
  });
}

/**
 * Compiles every template under templates/ once, at start-up; templates never come from user
 * input. Helpers only format values for the page's translator and mount point, which the
 * renderer passes as `@root.i18n` and `@root.mount`. `{{ }}` escapes everything; no template
 * uses `{{{ }}}` on data.
 */
export class ViewRenderer {
  private readonly hbs = Handlebars.create();
  private readonly templates = new Map<string, Template>();

  constructor(private readonly dir: string = TEMPLATES_DIR) {}

  init(): void {
    const root = (options: Handlebars.HelperOptions): PageContext => options.data.root as PageContext;
    registerFormatHelpers(this.hbs);
    /**
     * `{{url 'client/rewards'}}` → `<mount>/client/rewards`; further arguments are path
     * segments (encoded) and hash arguments the query: `{{url 'demo/open' id}}`.
     */
    this.hbs.registerHelper('url', (route: string, ...rest: unknown[]) => {
      const options = rest.pop() as Handlebars.HelperOptions;
      const segments = rest.map((s) => encodeURIComponent(String(s)));
      const query = options.hash as Record<string, string | number>;
      return mountUrl(root(options).mount, [route, ...segments].join('/'), Object.keys(query).length > 0 ? query : undefined);
    });

    for (const file of walk(this.dir)) {
      const name = path.relative(this.dir, file).replace(/\\/g, '/').replace(/\.hbs$/, '');
      const source = fs.readFileSync(file, 'utf8');
      // Emails are compiled by the email renderer (services/email-service.ts), with their own escaping.
      if (name.startsWith('emails/')) continue;
      if (name.startsWith('partials/')) this.hbs.registerPartial(name.slice('partials/'.length), source);
      // preventIndent: an indented partial call would otherwise indent every line it outputs,
      // a multi-line value in a textarea included, and a save would store that indentation.
      else this.templates.set(name, this.hbs.compile(source, { strict: false, preventIndent: true }));
    }
  }

  render(name: string, model: object, context: PageContext, layout = 'layouts/main'): string {
    const page = this.templates.get(name);
    const frame = this.templates.get(layout);
    if (!page || !frame) throw new Error(`Template ${page ? layout : name} not found in ${this.dir}`);
    const root = { ...model, i18n: context.i18n, mount: context.mount, lang: context.i18n.htmlLang, dir: context.i18n.dir };
    return frame({ ...root, body: new Handlebars.SafeString(page(root)) });
  }
}
