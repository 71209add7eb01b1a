import express, { Router, type Request } from 'express';
import { ForbiddenError, ValidationError } from '../../errors';
import type { FieldProblem } from '../../domain/validation';
import type { Translations } from '../../i18n';
import { formatMoney } from '../../i18n/format';
import type { DemoPanelAction } from '../../panels/demo/demo-panel-api';
import { DEMO_EVENT_TYPES, demoTypeLabelKey, type DemoEventType } from '../../panels/demo/demo-clients';
import type { DemoPanel, DeliveryResult } from '../../panels/demo/demo-panel';
import { ADMIN_ROLES } from '../../services/auth-service';
import type { Csrf } from '../csrf';
import { mountOf } from '../urls';
import type { ViewRenderer } from '../views';

/** The form as sent, echoed back into the page. */
interface FormState {
  client: string;
  type: string;
  amount: string;
  previous: string;
  invoice: string;
}

interface FormError {
  status: 403 | 422;
  messageKey: string;
  fields: FieldProblem[];
}

/** The demo panel's pages: `<mount>/` and `<mount>/demo/*`. */
export function demoRouter(deps: {
  demo: DemoPanel;
  views: ViewRenderer;
  translations: Translations;
  csrf: Csrf;
  /** Sends due outbox actions at once, so the page shows what an event made the panel do. */
  dispatchOutbox?: () => Promise<unknown>;
  defaultLanguage?: () => Promise<string>;
}): Router {
  const router = Router();

  /**
   * The page, with the form as it was last sent (so "send again" sends the same thing) and, for
   * a refused form (a bad field, a stale CSRF token), the reason beside it.
   */
  const renderHome = async (req: Request, res: express.Response, view: { result?: DeliveryResult; form?: FormState; formError?: FormError } = {}) => {
    const i18n = deps.translations.negotiate({ accepted: req.acceptsLanguages(), programDefault: await deps.defaultLanguage?.() });
    const clients = await deps.demo.clients();
    const form = view.form ?? { client: clients[0]?.id ?? '', type: DEMO_EVENT_TYPES[0], amount: '', previous: '', invoice: '' };
    const model = {
      clients: clients.map((c) => ({ ...c, selected: c.id === form.client })),
      adminRoles: ADMIN_ROLES.map((role) => ({ role, label: `admin.role.${role}` })),
      types: DEMO_EVENT_TYPES.map((type) => ({ type, labelKey: demoTypeLabelKey(type), selected: type === form.type })),
      form,
      formError: view.formError && {
        messageKey: view.formError.messageKey,
        fields: view.formError.fields.map((f) => `${f.path}: ${f.message}`),
      },
      csrfToken: deps.csrf.token(req, res),
      actions: deps.demo.api.recent(20).map((a) => actionView(a, i18n.locale)),
      emails: deps.demo.api.recentEmails(10).map(emailView),
      result: view.result && {
        status: view.result.status,
        response: JSON.stringify(view.result.body, null, 2),
        event: JSON.stringify(view.result.event, null, 2),
      },
    };
    if (view.formError) res.status(view.formError.status);
    res.type('html').send(deps.views.render('demo/home', model, { i18n, mount: mountOf(res) }));
  };

  router.get('/', (req, res) => renderHome(req, res));

  router.get('/demo/open/:clientId', async (req, res) => {
    if (!deps.demo.client(req.params.clientId)) throw new ValidationError([{ path: 'clientId', message: 'is not a demo client' }]);
    res.redirect(303, await deps.demo.ssoUrl(req.params.clientId, mountOf(res)));
  });

  // The demo's admin side: signs a demo admin of that role in, as a panel's admin area would.
  router.get('/demo/admin/:role', async (req, res) => {
    const role = ADMIN_ROLES.find((r) => r === req.params.role);
    if (!role) throw new ValidationError([{ path: 'role', message: `must be one of ${ADMIN_ROLES.join(', ')}` }]);
    res.redirect(303, await deps.demo.adminSsoUrl(role, mountOf(res)));
  });

  const formOf = (req: Request): FormState => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).slice(0, 64) : '');
    return { client: text('client'), type: text('type'), amount: text('amount'), previous: text('previous'), invoice: text('invoice').trim() };
  };

  // A stale or missing CSRF token refuses the form beside it (403), writing nothing.
  const protect: express.RequestHandler = (req, res, next) =>
    deps.csrf.protect(req, res, (err?: unknown) => {
      if (err === undefined || err === null) return next();
      if (!(err instanceof ForbiddenError)) return next(err);
      renderHome(req, res, { form: formOf(req), formError: { status: 403, messageKey: 'error.csrf_invalid', fields: [] } }).catch(next);
    });

  router.post('/demo/events', express.urlencoded({ extended: false, limit: '8kb' }), protect, async (req, res) => {
    const form = formOf(req);
    const client = deps.demo.client(form.client);
    const type = form.type as DemoEventType;
    const problems: FieldProblem[] = [];
    if (!client) problems.push({ path: 'client', message: 'is not a demo client' });
    if (!DEMO_EVENT_TYPES.includes(type)) problems.push({ path: 'type', message: `must be one of ${DEMO_EVENT_TYPES.join(', ')}` });
    const invoiceId = form.invoice;
    if (invoiceId && !/^[A-Za-z0-9._-]{1,32}$/.test(invoiceId)) problems.push({ path: 'invoice', message: 'must be 1–32 of A-Z a-z 0-9 . _ -' });
    if (problems.length > 0 || !client) {
      await renderHome(req, res, { form, formError: { status: 422, messageKey: 'demo.form_invalid', fields: problems } });
      return;
    }
    // The amount goes to the plugin as typed, so the demo also shows how bad input is refused.
    // Loop back to the socket this request came in on, never to the Host header, which the
    // browser (or anyone) controls: the server must not be made to post elsewhere. The
    // webhook lives under the same mount as this page.
    const self = `http://127.0.0.1:${req.socket.localPort}${mountOf(res)}`;
    const result = await deps.demo.deliver(self, type, client, { amount: form.amount, previousAmount: form.previous, invoiceId: invoiceId || undefined });
    await deps.dispatchOutbox?.();
    await renderHome(req, res, { result, form });
  });

  return router;
}

/** An email the panel was asked to send, as the page lists it (the text part; html is the same words). */
function emailView(a: DemoPanelAction) {
  return {
    at: a.receivedAt.toISOString().replace('T', ' ').slice(0, 19),
    to: a.email?.to ?? '',
    subject: a.email?.subject ?? '',
    text: a.email?.text ?? '',
    key: a.idempotencyKey,
  };
}

/** A received action as the page shows it: strings are i18n keys and their parameters. */
function actionView(a: DemoPanelAction, locale: string) {
  return {
    at: a.receivedAt.toISOString().replace('T', ' ').slice(0, 19),
    kindKey: `demo.actions.kind_${a.kind}`,
    targetKey: a.invoiceId !== undefined ? 'demo.actions.target_invoice' : 'demo.actions.target_client',
    targetId: a.invoiceId ?? a.clientId ?? '',
    amount: a.amount ? formatMoney(locale, a.amount) : null,
    tier: a.tier ?? null,
    description: a.description ?? null,
    key: a.idempotencyKey,
    reference: a.reference,
  };
}
