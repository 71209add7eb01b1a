import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { Tx } from '../db/unit-of-work';
import type { Member } from '../domain/member';
import type { EmailChannel } from '../domain/panel-actions';
import type { Settings } from '../domain/settings';
import type { Translations } from '../i18n';
import { registerFormatHelpers } from '../i18n/template-helpers';
import { TEMPLATES_DIR } from '../paths';

/** The emails members get; each is `templates/emails/<name>.{subject,html,text}.hbs`. */
export const EMAIL_TEMPLATES = ['expiry-warning', 'statement', 'tier-changed'] as const;
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

const PARTS = ['subject', 'html', 'text'] as const;
type Part = (typeof PARTS)[number];

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** What became of an email a job asked for. */
export type EmailOutcome = 'queued' | 'already_queued' | 'no_address' | 'off';

export interface EmailRequest {
  member: Readonly<Member>;
  template: EmailTemplate;
  /** What makes this email once: the job's period (`2026-11`), say. With the member and template it is the outbox key. */
  period: string;
  /** The template's data; strings for people come from the locale files through `{{t}}`. */
  model: object;
}

/**
 * Member emails: rendered in the member's language from handlebars templates, and queued in
 * the outbox in the caller's transaction, so the email goes out if and only if the job's work
 * commits, and once per (template, member, period) whatever reruns.
 *
 * The html part escapes data as pages do; subject and text are not HTML, so they are compiled
 * without escaping (a name like "O'Brien & Co" must not arrive as `&amp;`). Templates are ours,
 * never user input (DESIGN §10).
 */
export class EmailService {
  private readonly html = Handlebars.create();
  private readonly plain = Handlebars.create();
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();

  constructor(
    private readonly translations: Translations,
    private readonly dir: string = path.join(TEMPLATES_DIR, 'emails'),
  ) {}

  init(): void {
    registerFormatHelpers(this.html);
    registerFormatHelpers(this.plain);
    const layout = fs.readFileSync(path.join(this.dir, 'layout.html.hbs'), 'utf8');
    this.compiled.set('layout', this.html.compile(layout, { strict: false }));
    for (const name of EMAIL_TEMPLATES) {
      for (const part of PARTS) {
        const source = fs.readFileSync(path.join(this.dir, `${name}.${part}.hbs`), 'utf8');
        const hbs = part === 'html' ? this.html : this.plain;
        this.compiled.set(`${name}.${part}`, hbs.compile(source, { strict: false, noEscape: part !== 'html' }));
      }
    }
  }

  /** The locale Intl formats a member's email with (their tag when we have their language). */
  localeOf(locale: string | null): string {
    return this.translations.for(locale).locale;
  }

  render(template: EmailTemplate, locale: string | null, model: object): RenderedEmail {
    const i18n = this.translations.for(locale);
    const root = { ...model, i18n, lang: i18n.language };
    const part = (p: Part) => {
      const compiled = this.compiled.get(`${template}.${p}`);
      if (!compiled) throw new Error(`Email template ${template}.${p} is not loaded (EmailService.init)`);
      return compiled(root);
    };
    const layout = this.compiled.get('layout');
    if (!layout) throw new Error('Email layout is not loaded (EmailService.init)');
    const subject = part('subject').replace(/\s+/g, ' ').trim();
    return { subject, html: layout({ ...root, subject, body: new Handlebars.SafeString(part('html')) }), text: `${part('text').trim()}\n` };
  }

  /**
   * Renders the email and queues it as a `client.email` action in `tx`, under the key
   * `email:<template>:<member id>:<period>`: a second request with the same key (a rerun, a
   * second instance) finds the first row and queues nothing. The channel is fixed now, so a
   * retry later goes the same way even if the setting changes.
   */
  /** The locale file a member's emails are written in, for program text given per language. */
  languageOf(member: Readonly<Member>): string {
    return this.translations.for(member.locale).language;
  }

  async queue(tx: Tx, channel: Settings['email_channel'], request: EmailRequest): Promise<EmailOutcome> {
    if (channel === 'none') return 'off';
    const { member } = request;
    if (!member.email) return 'no_address';
    const rendered = this.render(request.template, member.locale, request.model);
    const key = emailKey(request.template, member.id, request.period);
    const { created } = await tx.repos.outbox.enqueue(
      'client.email',
      { clientId: member.panelClientId, to: member.email, purpose: request.template, channel: channel satisfies EmailChannel, ...rendered },
      key,
      tx.now,
    );
    return created ? 'queued' : 'already_queued';
  }
}

export function emailKey(template: EmailTemplate, memberId: number, period: string): string {
  return `email:${template}:${memberId}:${period}`;
}
