import express, { Router, type Request } from 'express';
import { ValidationError } from '../../errors';
import type { Translations } from '../../i18n';
import { formatMoney } from '../../i18n/format';
import type { DemoPanelAction } from '../../panels/demo/demo-panel-api';
import { DEMO_EVENT_TYPES, type DemoEventType } from '../../panels/demo/demo-clients';
import type { DemoPanel, DeliveryResult } from '../../panels/demo/demo-panel';
import type { Csrf } from '../csrf';
import { mountOf } from '../urls';
import type { ViewRenderer } from '../views';

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

  const renderHome = async (req: Request, res: express.Response, result?: DeliveryResult) => {
    const i18n = deps.translations.negotiate({ accepted: req.acceptsLanguages(), programDefault: await deps.defaultLanguage?.() });
    const clients = await deps.demo.clients();
    const model = {
      clients,
      types: DEMO_EVENT_TYPES.map((type) => ({ type, labelKey: `demo.type_${type.replace('.', '_')}` })),
      csrfToken: deps.csrf.token(req, res),
      actions: deps.demo.api.recent(20).map((a) => actionView(a, i18n.locale)),
      result: result && {
        status: result.status,
        response: JSON.stringify(result.body, null, 2),
        event: JSON.stringify(result.event, null, 2),
      },
    };
    res.type('html').send(deps.views.render('demo/home', model, { i18n, mount: mountOf(res) }));
  };

  router.get('/', (req, res) => renderHome(req, res));

  router.get('/demo/open/:clientId', async (req, res) => {
    if (!deps.demo.client(req.params.clientId)) throw new ValidationError([{ path: 'clientId', message: 'is not a demo client' }]);
    res.redirect(303, await deps.demo.ssoUrl(req.params.clientId, mountOf(res)));
  });

  router.post('/demo/events', express.urlencoded({ extended: false, limit: '8kb' }), deps.csrf.protect, async (req, res) => {
    const client = deps.demo.client(String(req.body.client ?? ''));
    const type = String(req.body.type ?? '') as DemoEventType;
    const problems = [];
    if (!client) problems.push({ path: 'client', message: 'is not a demo client' });
    if (!DEMO_EVENT_TYPES.includes(type)) problems.push({ path: 'type', message: `must be one of ${DEMO_EVENT_TYPES.join(', ')}` });
    const invoiceId = String(req.body.invoice ?? '').trim();
    if (invoiceId && !/^[A-Za-z0-9._-]{1,32}$/.test(invoiceId)) problems.push({ path: 'invoice', message: 'must be 1–32 of A-Z a-z 0-9 . _ -' });
    if (problems.length > 0 || !client) throw new ValidationError(problems, 'Pick a demo client and an event type.');
    // The amount goes to the plugin as typed, so the demo also shows how bad input is refused.
    // Loop back to the socket this request came in on, never to the Host header, which the
    // browser (or anyone) controls: the server must not be made to post elsewhere. The
    // webhook lives under the same mount as this page.
    const self = `http://127.0.0.1:${req.socket.localPort}${mountOf(res)}`;
    const result = await deps.demo.deliver(self, type, client, String(req.body.amount ?? ''), invoiceId || undefined);
    await deps.dispatchOutbox?.();
    await renderHome(req, res, result);
  });

  return router;
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
