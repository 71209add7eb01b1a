import type Handlebars from 'handlebars';
import { formatInteger, formatSignedInteger } from './format';
import type { Translator } from './index';

/**
 * The formatting helpers pages and emails share: `{{t key …}}`, `{{int n}}` and `{{signed n}}`,
 * each in the language of the translator the renderer passes as `@root.i18n`. There is no date
 * helper: a date is a day on some clock (the program's `time_zone` for members), and a deadline
 * is told by its last day, which only the presenter or job that knows both can say, so they
 * pass dates as text.
 */
export function registerFormatHelpers(hbs: typeof Handlebars): void {
  const i18n = (options: Handlebars.HelperOptions): Translator => (options.data.root as { i18n: Translator }).i18n;
  hbs.registerHelper('t', (key: string, options: Handlebars.HelperOptions) => i18n(options).t(key, options.hash));
  hbs.registerHelper('int', (n: number, options: Handlebars.HelperOptions) => formatInteger(i18n(options).locale, n));
  hbs.registerHelper('signed', (n: number, options: Handlebars.HelperOptions) => formatSignedInteger(i18n(options).locale, n));
}
