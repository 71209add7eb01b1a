/** The demo panel's clients: one per language the project's users started from, plus English. */
export interface DemoClient {
  id: string;
  email: string;
  name: string;
  locale: string;
  currency: string;
  /** A typical monthly invoice in the client's currency. */
  sampleAmount: string;
}

export const DEMO_CLIENTS: DemoClient[] = [
  { id: 'demo-1', email: 'ann@example.com', name: 'Ann Lee', locale: 'en', currency: 'USD', sampleAmount: '59.40' },
  { id: 'demo-2', email: 'ivan@example.com', name: 'Иван Петров', locale: 'ru', currency: 'RUB', sampleAmount: '4500.00' },
  { id: 'demo-3', email: 'ayse@example.com', name: 'Ayşe Yılmaz', locale: 'tr', currency: 'TRY', sampleAmount: '80000.00' },
  { id: 'demo-4', email: 'minh@example.com', name: 'Nguyễn Văn Minh', locale: 'vi', currency: 'VND', sampleAmount: '250000' },
  { id: 'demo-5', email: 'li@example.com', name: '李华', locale: 'zh-CN', currency: 'CNY', sampleAmount: '420.00' },
];

/** Demo earn rates: VND has none on purpose, to show what a currency without a rate does. */
export const DEMO_PROGRAM = {
  earn_rates: { USD: '1', EUR: '1', GBP: '1', RUB: '0.01', TRY: '0.03', CNY: '0.15' },
  points_expiry_months: 12,
  // Demo points are spendable at once so the loop shows a balance move; the program default
  // keeps them pending for 14 days.
  refund_window_days: 0,
  // The demo panel "sends" member emails and lists them on its page.
  email_channel: 'panel' as const,
};

/**
 * Rates the demo provider set for counting other currencies towards tiers (base USD), so the
 * Turkish client's large seed invoice makes them Gold and renewals show the tier discount.
 */
export const DEMO_TIER_RATES = { RUB: '0.011', TRY: '0.029', CNY: '0.14', EUR: '1.08', GBP: '1.27' };

export const DEMO_EVENT_TYPES = [
  'invoice.paid',
  'invoice.created',
  'invoice.refunded',
  'service.renewed',
  'service.upgraded',
  'client.created',
] as const;
export type DemoEventType = (typeof DEMO_EVENT_TYPES)[number];

/** A canonical event (DESIGN §6) as a panel adapter would build it. */
export function demoEvent(
  type: DemoEventType,
  client: DemoClient,
  options: { amount: string; invoiceId: string; nonce: string; occurredAt: Date },
): Record<string, unknown> {
  const clientBlock = { id: client.id, email: client.email, name: client.name, locale: client.locale, currency: client.currency };
  const base = { type, occurred_at: options.occurredAt.toISOString(), client: clientBlock };
  switch (type) {
    case 'client.created':
      return { id: `demo:client:${client.id}:created`, ...base };
    case 'invoice.paid':
    case 'invoice.created':
    case 'invoice.refunded':
      return {
        id: `demo:invoice:${options.invoiceId}:${type === 'invoice.refunded' ? `refund:${options.nonce}` : type.split('.')[1]}`,
        ...base,
        invoice: {
          id: options.invoiceId,
          currency: client.currency,
          total: options.amount,
          ...(type === 'invoice.refunded' && { refunded: options.amount }),
          items: [
            { id: `${options.invoiceId}-1`, type: 'renewal', service_id: '77', product_group: 'shared-hosting', billing_cycle: 'monthly', amount: options.amount },
          ],
        },
      };
    case 'service.renewed':
    case 'service.upgraded':
      return {
        id: `demo:service:77:${type.split('.')[1]}:${options.nonce}`,
        ...base,
        service: { id: '77', product_group: 'shared-hosting', billing_cycle: 'monthly', amount: options.amount },
      };
  }
}
