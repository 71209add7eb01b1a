import express, { Router, type Request } from 'express';
import { ValidationError } from '../errors';
import type { Translations } from '../i18n';
import { DEMO_EVENT_TYPES, type DemoEventType } from '../panels/demo/demo-clients';
import type { DemoPanel, DeliveryResult } from '../panels/demo/demo-panel';
import type { Csrf } from './csrf';
import type { ViewRenderer } from './views';

export function demoRouter(deps: { demo: DemoPanel; views: ViewRenderer; translations: Translations; csrf: Csrf }): Router {
  const router = Router();

  const renderHome = async (req: Request, res: express.Response, result?: DeliveryResult) => {
    const i18n = deps.translations.for(req.acceptsLanguages('en', 'ru') || 'en');
    const clients = await deps.demo.clients();
    const model = {
      clients,
      types: DEMO_EVENT_TYPES.map((type) => ({ type, labelKey: `demo.type_${type.replace('.', '_')}` })),
      csrfToken: deps.csrf.token(req, res),
      result: result && {
        status: result.status,
        response: JSON.stringify(result.body, null, 2),
        event: JSON.stringify(result.event, null, 2),
      },
    };
    res.type('html').send(deps.views.render('demo/home', model, i18n));
  };

  router.get('/', (req, res) => renderHome(req, res));

  router.get('/demo/open/:clientId', async (req, res) => {
    if (!deps.demo.client(req.params.clientId)) throw new ValidationError([{ path: 'clientId', message: 'is not a demo client' }]);
    res.redirect(303, await deps.demo.ssoUrl(req.params.clientId));
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
    const result = await deps.demo.deliver(`${req.protocol}://${req.get('host')}`, type, client, String(req.body.amount ?? ''), invoiceId || undefined);
    await renderHome(req, res, result);
  });

  return router;
}
