import fs from 'node:fs';
import readline from 'node:readline';
import { parse } from 'csv-parse';
import { checkHistoryCsvHeader, historyCsvEvent, sameInvoice, type HistoryCsvRecord } from '../events/history-csv';
import type { HistoryRow } from '../services/backfill-service';

export type HistoryFormat = 'jsonl' | 'csv';

/** By extension: `.csv` is CSV, anything else JSON lines. */
export function formatOf(file: string): HistoryFormat {
  return /\.csv$/i.test(file) ? 'csv' : 'jsonl';
}

/** The file's line count (for the progress bar's total and ETA), read in large chunks without decoding. */
export async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1] as number;
  }
  return last === 10 ? lines : lines + 1;
}

/** Streams a history file as rows: memory stays flat whatever its size. */
export function readHistory(file: string, format: HistoryFormat): AsyncIterable<HistoryRow> {
  return format === 'csv' ? readCsv(file) : readJsonLines(file);
}

async function* readJsonLines(file: string): AsyncIterable<HistoryRow> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line++;
    // A file saved by some Windows editors starts with a byte-order mark.
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      yield { line, problems: [{ path: '', message: `is not valid JSON: ${(err as Error).message}` }] };
      continue;
    }
    yield { line, json };
  }
}

async function* readCsv(file: string): AsyncIterable<HistoryRow> {
  const parser = fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(
    parse({ columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), bom: true, trim: true, skip_empty_lines: true, info: true, relax_column_count: true }),
  );
  let group: HistoryCsvRecord[] = [];
  let firstLine = 0;
  let lastLine = 0;
  let headerChecked = false;
  const emit = (): HistoryRow => ({ line: firstLine, endLine: lastLine, ...historyCsvEvent(group) });
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: HistoryCsvRecord; info: { lines: number } }>) {
      if (!headerChecked) {
        headerChecked = true;
        const problems = checkHistoryCsvHeader(Object.keys(record));
        if (problems.length > 0) {
          yield { line: 1, problems };
          return;
        }
      }
      if (group.length > 0 && !sameInvoice(group[0] as HistoryCsvRecord, record)) {
        yield emit();
        group = [];
      }
      if (group.length === 0) firstLine = info.lines;
      group.push(record);
      lastLine = info.lines;
    }
  } catch (err) {
    // A malformed CSV (an unclosed quote, a row with the wrong number of fields) can't be read on from.
    if (group.length > 0) yield emit();
    const line = (err as { lines?: number }).lines ?? lastLine + 1;
    yield { line, problems: [{ path: '', message: `CSV can't be read from here on: ${(err as Error).message}` }] };
    return;
  }
  if (group.length > 0) yield emit();
}
