import fs from 'node:fs';
import { parse } from 'csv-parse';
import { MAX_EVENT_BYTES } from '../events/event-input';
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
  let line = 0;
  for await (const raw of jsonLines(file, MAX_EVENT_BYTES)) {
    line++;
    if (raw === null) {
      yield { line, problems: [{ path: '', message: `is longer than ${MAX_EVENT_BYTES} bytes, the most an event may be` }] };
      continue;
    }
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

/**
 * A JSON Lines file's lines, split at \n only: a \r is JSON whitespace (so CRLF files read as
 * they should, and line numbers are an editor's and `countLines`'s). A line longer than
 * `maxBytes` comes as null, and is not held meanwhile: one huge line can't exhaust memory.
 */
async function* jsonLines(file: string, maxBytes: number): AsyncIterable<string | null> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  const take = (piece: Buffer) => {
    if (tooLong) return;
    size += piece.length;
    if (size > maxBytes) {
      tooLong = true;
      parts = [];
    } else parts.push(piece);
  };
  const end = (): string | null => {
    // Decoded whole: a character split between two chunks is joined first.
    const text = tooLong ? null : (parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size)).toString('utf8');
    parts = [];
    size = 0;
    tooLong = false;
    return text;
  };
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      take(chunk.subarray(start, nl));
      yield end();
      start = nl + 1;
    }
    take(chunk.subarray(start));
  }
  if (size > 0 || tooLong) yield end();
}

async function* readCsv(file: string): AsyncIterable<HistoryRow> {
  // Each record as the parser makes it, with the line it ends on, until it is taken below: a
  // stream that fails drops what it still buffers, so the rows read before a malformed one (up
  // to a whole chunk of them) would be neither imported nor refused.
  const parsed: Array<{ record: HistoryCsvRecord; lines: number }> = [];
  let next = 0;
  const parser = fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      // An unclosed quote would otherwise read the rest of the file into one field.
      max_record_size: MAX_EVENT_BYTES,
      on_record: (record: HistoryCsvRecord, { lines }: { lines: number }) => {
        parsed.push({ record, lines });
        return record;
      },
    }),
  );
  let group: HistoryCsvRecord[] = [];
  let firstLine = 0;
  let lastLine = 0;
  let headerChecked = false;
  const emit = (): HistoryRow => ({ line: firstLine, endLine: lastLine, ...historyCsvEvent(group) });
  let headerRefused = false;
  /** The next parsed record into its invoice's group: the previous invoice's row once it is complete, or the header's refusal. */
  const take = (): HistoryRow | null => {
    const { record, lines } = parsed[next++] as (typeof parsed)[number];
    // The parser may refill it before it is empty: drop what was taken now and then.
    if (next === parsed.length || next >= 4_096) {
      parsed.splice(0, next);
      next = 0;
    }
    if (!headerChecked) {
      headerChecked = true;
      const problems = checkHistoryCsvHeader(Object.keys(record));
      if (problems.length > 0) {
        headerRefused = true;
        return { line: 1, problems };
      }
    }
    let complete: HistoryRow | null = null;
    if (group.length > 0 && !sameInvoice(group[0] as HistoryCsvRecord, record)) {
      complete = emit();
      group = [];
    }
    if (group.length === 0) firstLine = lines;
    group.push(record);
    lastLine = lines;
    return complete;
  };
  try {
    for await (const _ of parser) {
      const row = take();
      if (row) yield row;
      if (headerRefused) return;
    }
  } catch (err) {
    while (next < parsed.length && !headerRefused) {
      const row = take();
      if (row) yield row;
    }
    if (headerRefused) return;
    if (group.length > 0) yield emit();
    yield refusalAfter(err, lastLine);
    return;
  }
  if (group.length > 0) yield emit();
}

/** A malformed CSV (an unclosed quote, a row with the wrong number of fields) can't be read on from: where and why. */
function refusalAfter(err: unknown, lastLine: number): HistoryRow {
  const { code, lines, message } = err as { code?: string; lines?: number; message: string };
  // An open quote is noticed where reading ends; the line to fix is where its row began.
  if (code === 'CSV_MAX_RECORD_SIZE') {
    return { line: lastLine + 1, problems: [{ path: '', message: `CSV can't be read from here on: a row from this line runs past ${MAX_EVENT_BYTES} bytes (a quote not closed?)` }] };
  }
  if (code === 'CSV_QUOTE_NOT_CLOSED') return { line: lastLine + 1, problems: [{ path: '', message: `CSV can't be read from here on: a quote in a row from this line is not closed` }] };
  return { line: lines ?? lastLine + 1, problems: [{ path: '', message: `CSV can't be read from here on: ${message}` }] };
}
