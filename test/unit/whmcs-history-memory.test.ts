import v8 from 'node:v8';
import vm from 'node:vm';
import type { WhmcsApiClient, WhmcsInvoiceSummary } from '../../plugin/panels/whmcs/whmcs-api-client';
import { WhmcsHistory } from '../../plugin/panels/whmcs/whmcs-history';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** The heap and the typed arrays' memory after full collections: what is still held. */
async function held(): Promise<number> {
  gc();
  // Typed arrays' memory is given back after the collection that finds them unreachable.
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** A WHMCS listing `total` invoices long, every other one paid, dated out of id order. */
function listing(total: number): WhmcsApiClient {
  return {
    async getInvoicesPage(start: number, count: number) {
      const invoices: WhmcsInvoiceSummary[] = [];
      for (let i = start + 1; i <= Math.min(total, start + count); i++) {
        invoices.push({ id: String(i), status: i % 2 === 0 ? 'Paid' : 'Unpaid', date: '2025-01-01 10:00:00', datePaid: `2025-0${1 + (i % 9)}-1${i % 10} 10:00:00` });
      }
      return { total, invoices };
    },
  } as unknown as WhmcsApiClient;
}

/**
 * `--from whmcs` keeps every paid invoice's id and paid time for the whole run, to take them in
 * the order they were paid: a large installation's list must fit the import's memory budget
 * (issue 14: ≤ 150 MB), so it may hold a few numbers an invoice, not an object apiece.
 */
describe('the WHMCS paid-invoice list', () => {
  it('holds under 40 bytes a paid invoice', async () => {
    // What a first listing loads for good (modules, the time zone's formatters) isn't the list.
    await new WhmcsHistory(listing(10), { timeZone: 'UTC' }).count();
    const total = 400_000;
    const history = new WhmcsHistory(listing(total), { timeZone: 'UTC', pageSize: 5_000 });
    const before = await held();
    expect(await history.count()).toBe(total / 2);
    const bytes = (await held()) - before;
    expect(bytes / (total / 2)).toBeLessThan(40);
  });
});
