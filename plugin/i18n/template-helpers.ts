import type Handlebars from 'handlebars';
import { formatDate, formatInteger, formatSignedInteger } from './format';
import type { Translator } from './index';

/**
 * The formatting helpers pages and emails share: `{{t key …}}`, `{{int n}}`, `{{signed n}}`
 * and `{{date d}}`, each in the language of the translator the renderer passes as
 * `@root.i18n`.
 */
export function registerFormatHelpers(hbs: typeof Handlebars): void {
  const i18n = (options: Handlebars.HelperOptions): Translator => (options.data.root as { i18n: Translator }).i18n;
  hbs.registerHelper('t', (key: string, options: Handlebars.HelperOptions) => i18n(options).t(key, options.hash));
  hbs.registerHelper('int', (n: number, options: Handlebars.HelperOptions) => formatInteger(i18n(options).locale, n));
  hbs.registerHelper('signed', (n: number, options: Handlebars.HelperOptions) => formatSignedInteger(i18n(options).locale, n));
  hbs.registerHelper('date', (d: Date, options: Handlebars.HelperOptions) => formatDate(i18n(options).locale, d));
}
