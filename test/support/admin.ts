import request from 'supertest';
import type { AdminRole } from '../../plugin/services/auth-service';
import type { TestApp } from './harness';

export type AdminAgent = ReturnType<typeof request.agent>;

/** A browser signed in to the admin area through the panel's admin SSO (cookies kept). */
export async function adminAgent(app: TestApp, role: AdminRole, admin: { id?: string; name?: string } = {}): Promise<AdminAgent> {
  const agent = request.agent(app.baseUrl);
  const token = await app.plugin.services.auth.mintAdminSsoToken({ id: admin.id ?? `${role}-1`, name: admin.name ?? `${role} admin`, role });
  const res = await agent.get(`/admin/sso?token=${encodeURIComponent(token)}`);
  if (res.status !== 303) throw new Error(`admin SSO failed: ${res.status} ${res.text.slice(0, 300)}`);
  return agent;
}

/** The CSRF token of the first form on a page. */
export function csrfOf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`no CSRF token on the page: ${html.slice(0, 300)}`);
  return token;
}

/** A hidden field's value (a form's one-time key). */
export function fieldOf(html: string, name: string): string {
  const value = new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
  if (value === undefined) throw new Error(`no field ${name} on the page`);
  return unescapeHtml(value);
}

/** An attribute's text as a browser reads it (handlebars escapes & < > " ' ` =). */
export function unescapeHtml(text: string): string {
  return text.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot));/gi, (_, hex: string | undefined, dec: string | undefined, named: string | undefined) =>
    hex ? String.fromCodePoint(parseInt(hex, 16)) : dec ? String.fromCodePoint(Number(dec)) : ({ amp: '&', lt: '<', gt: '>', quot: '"' } as Record<string, string>)[named?.toLowerCase() ?? ''] ?? '',
  );
}

/** Loads `page`, then posts `form` with that page's CSRF token, as a browser submitting it would. */
export async function submit(agent: AdminAgent, page: string, action: string, form: Record<string, string>) {
  const html = (await agent.get(page).expect(200)).text;
  return agent.post(action).type('form').send({ _csrf: csrfOf(html), ...form });
}

/** Audit rows, oldest first. */
export async function auditRows(app: TestApp): Promise<Array<Record<string, unknown>>> {
  return app.plugin.db.knex('loyalty_audit').orderBy('id', 'asc');
}

/**
 * The fields a browser posts with the form marked `data-testid="<testId>"` as the page drew it:
 * its inputs (hidden ones too), textareas (their line breaks as CRLF, as a browser sends them)
 * and each select's chosen option.
 */
export function formOf(html: string, testId: string): Record<string, string> {
  const form = new RegExp(`<form [^>]*data-testid="${testId}"[^>]*>([\\s\\S]*?)</form>`).exec(html)?.[1];
  if (form === undefined) throw new Error(`no form ${testId} on the page`);
  const attr = (tag: string, name: string) => {
    const value = new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
    return value === undefined ? undefined : unescapeHtml(value);
  };
  const fields: Record<string, string> = {};
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, 'name');
    if (name) fields[name] = attr(tag, 'value') ?? '';
  }
  for (const m of form.matchAll(/<textarea\b([^>]*)>([^<]*)<\/textarea>/g)) {
    const name = attr(m[1] ?? '', 'name');
    if (name) fields[name] = unescapeHtml(m[2] ?? '').replace(/\r?\n/g, '\r\n');
  }
  for (const m of form.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    const name = attr(m[1] ?? '', 'name');
    const options = [...(m[2] ?? '').matchAll(/<option\b[^>]*>/g)].map(([tag]) => ({ value: attr(tag, 'value') ?? '', selected: /\sselected\b/.test(tag) }));
    if (name) fields[name] = (options.find((o) => o.selected) ?? options[0])?.value ?? '';
  }
  return fields;
}
