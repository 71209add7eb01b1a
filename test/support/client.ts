import { SESSION_COOKIE } from '../../plugin/web/session';
import { invoicePaid, type TestApp } from './harness';

/** The `name=value` pairs a response set as cookies, for a later request's Cookie header. */
export const cookiesOf = (res: { headers: Record<string, unknown> }): string[] =>
  ((res.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0] ?? '');

/** A client signed in to the client area through the panel's SSO, as a browser arriving from the panel: their session cookie. */
export async function clientSession(app: TestApp, clientId: string): Promise<string[]> {
  const token = await app.plugin.services.auth.mintSsoToken(clientId);
  const sso = await app.http.get(`/sso?token=${encodeURIComponent(token)}`).expect(303);
  return cookiesOf(sso).filter((c) => c.startsWith(`${SESSION_COOKIE}=`));
}

/** A client with `total` USD of paid invoices (one invoice, a renewal), signed in: their session cookie. */
export async function paidClient(app: TestApp, clientId: string, total: string, locale = 'en'): Promise<string[]> {
  await app.send(invoicePaid({ client: { id: clientId, locale }, invoice: { id: `inv-${clientId}`, total, items: [{ type: 'renewal', amount: total }] } })).expect(200);
  return clientSession(app, clientId);
}
