import { Webhook } from 'standardwebhooks';
import { parseCanonicalEvent } from '../../plugin/events/canonical-event';
import { StandardWebhookSigner } from '../../plugin/lib/standard-webhooks';
import { clientEvent, invoicePaid, invoiceRefunded, signedDelivery } from '../support/events';

const SECRET = `whsec_${Buffer.from('unit-webhook-secret-0123456789abcdef').toString('base64')}`;
const NOW = new Date('2026-11-23T12:00:00Z');

describe('StandardWebhookSigner', () => {
  it('signs what the standardwebhooks verifier accepts, and only with the same secret', () => {
    const body = '{"a":1}';
    const headers = new StandardWebhookSigner(SECRET).headers('evt-1', body, NOW);
    expect(headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': 'evt-1', 'webhook-timestamp': '1795435200' });
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    jest.useFakeTimers({ now: NOW });
    try {
      expect(new Webhook(SECRET).verify(body, { ...headers })).toEqual({ a: 1 });
      const other = new Webhook(`whsec_${Buffer.from('another-secret-0123456789').toString('base64')}`);
      expect(() => other.verify(body, { ...headers })).toThrow();
      expect(() => new Webhook(SECRET).verify('{"a":2}', { ...headers })).toThrow();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('event fixtures are valid canonical events', () => {
  it.each([
    ['invoicePaid', invoicePaid()],
    ['invoicePaid with overrides', invoicePaid({ client: { id: 'c-7', currency: 'EUR' }, invoice: { id: 'I-7', currency: 'EUR', total: '10.00', items: [] } })],
    ['invoiceRefunded', invoiceRefunded('I-7', '2.50')],
    ['clientEvent', clientEvent('client.created', 'c-8')],
  ])('%s', (_name, event) => {
    const parsed = parseCanonicalEvent(event, NOW);
    expect(parsed).toMatchObject({ ok: true, event: { id: event.id, type: event.type } });
  });

  it('gives each invoice a new id unless told, and a refund an id of its own per amount', () => {
    expect(invoicePaid().id).not.toBe(invoicePaid().id);
    expect(invoicePaid({ invoice: { id: 'X' } }).id).toBe('test:invoice:X:paid');
    expect(invoiceRefunded('X', '1.00').id).not.toBe(invoiceRefunded('X', '2.00').id);
  });

  it('a signed delivery carries the body exactly as signed', () => {
    const event = invoicePaid();
    const d = signedDelivery(new StandardWebhookSigner(SECRET), event, { at: NOW });
    expect(d).toMatchObject({ id: event.id, body: JSON.stringify(event), headers: { 'webhook-id': event.id } });
  });
});
