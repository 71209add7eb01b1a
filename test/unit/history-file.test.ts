import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countLines, readHistory } from '../../plugin/cli/history-file';
import { MAX_EVENT_BYTES } from '../../plugin/events/event-input';
import type { HistoryRow } from '../../plugin/services/backfill-service';

/** `npm run backfill -- --file`: a history file streamed as rows, each with the line an editor shows. */
describe('history file reader (plugin/cli/history-file.ts)', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-history-file-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, content: string | Buffer) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, content);
    return f;
  };
  const rows = async (f: string): Promise<HistoryRow[]> => {
    const out: HistoryRow[] = [];
    for await (const row of readHistory(f, /\.csv$/.test(f) ? 'csv' : 'jsonl')) out.push(row);
    return out;
  };

  it('splits JSON lines at \\n only: a \\r is JSON whitespace, so CRLF and a stray \\r inside a line read as one event', async () => {
    const f = file('cr.jsonl', '{"id":"a",\r"n":1}\r\n\r\n{"id":"b"}\n{"id":"c"}');
    expect(await rows(f)).toEqual([
      { line: 1, json: { id: 'a', n: 1 } },
      { line: 3, json: { id: 'b' } },
      { line: 4, json: { id: 'c' } },
    ]);
    expect(await countLines(f)).toBe(4);
  });

  it('joins a character split between two read chunks', async () => {
    // The reader reads 1 MiB at a time: lines before it put the 3 bytes of "€" across the boundary.
    const line = (bytes: number) => `{"p":"${'x'.repeat(bytes - 9)}"}\n`;
    const before = (1 << 20) - 1 - '{"id":"'.length;
    const f = file('split.jsonl', `${line(200_000).repeat(5)}${line(before - 1_000_000)}{"id":"€"}\n`);
    expect((await rows(f)).at(-1)).toEqual({ line: 7, json: { id: '€' } });
  });

  it('refuses a line longer than an event may be, without holding it, and reads on', async () => {
    const long = JSON.stringify({ id: 'big', padding: 'x'.repeat(MAX_EVENT_BYTES) });
    const f = file('long.jsonl', `{"id":"a"}\n${long}\n{"id":"b"}\n${'y'.repeat(3 * (1 << 20))}`);
    expect(await rows(f)).toEqual([
      { line: 1, json: { id: 'a' } },
      { line: 2, problems: [{ path: '', message: `is longer than ${MAX_EVENT_BYTES} bytes, the most an event may be` }] },
      { line: 3, json: { id: 'b' } },
      { line: 4, problems: [{ path: '', message: `is longer than ${MAX_EVENT_BYTES} bytes, the most an event may be` }] },
    ]);
  });

  const header = 'client_id,invoice_id,paid_at,currency,item_type,amount';
  const csvRow = (n: number) => `${n},i${n},2026-05-01,USD,renewal,10.00\n`;
  const invoiceIds = (got: HistoryRow[]) => got.flatMap((r) => ('json' in r ? [(r.json as { invoice: { id: string } }).invoice.id] : []));

  it('stops a CSV at a malformed row with its line and reason, after every row before it, even in the same chunk', async () => {
    const rowsBefore = Array.from({ length: 5_000 }, (_, i) => csvRow(i + 1)).join('');
    const f = file('closing.csv', `${header}\n${rowsBefore}x,"ix"y,2026-05-01,USD,renewal,10.00\n${csvRow(6_000)}`);
    const got = await rows(f);
    expect(invoiceIds(got)).toEqual(Array.from({ length: 5_000 }, (_, i) => `i${i + 1}`));
    expect(got.at(-1)).toEqual({ line: 5_002, problems: [{ path: '', message: expect.stringMatching(/^CSV can't be read from here on: Invalid Closing Quote/) }] });
  });

  it('stops a CSV at an unclosed quote on the line it opened, instead of reading the rest of the file into one field', async () => {
    const f = file('quote.csv', `${header}\n${csvRow(1)}2,"i2,2026-05-01,USD,renewal,10.00\n${csvRow(3).repeat(20_000)}`);
    const got = await rows(f);
    expect(invoiceIds(got)).toEqual(['i1']);
    expect(got.at(-1)).toEqual({ line: 3, problems: [{ path: '', message: `CSV can't be read from here on: a row from this line runs past ${MAX_EVENT_BYTES} bytes (a quote not closed?)` }] });
    const short = file('quote-short.csv', `${header}\n${csvRow(1)}2,"i2,2026-05-01,USD,renewal,10.00\n${csvRow(3)}`);
    expect((await rows(short)).at(-1)).toEqual({ line: 3, problems: [{ path: '', message: "CSV can't be read from here on: a quote in a row from this line is not closed" }] });
  });

  it('refuses a CSV whose header lacks a column, and reads no row of it', async () => {
    const got = await rows(file('header.csv', `client,invoice_id,paid_at,currency,item_type,amount\n${csvRow(1)}${csvRow(2)}`));
    expect(got).toEqual([{ line: 1, problems: expect.arrayContaining([expect.objectContaining({ path: 'client_id' })]) }]);
  });
});
