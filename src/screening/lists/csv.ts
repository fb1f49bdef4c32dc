/**
 * Streaming CSV rows (csv-parse) with the file name and line number kept, and
 * csv-parse's own errors turned into `SCREENING_LIST_MALFORMED` / `_TOO_LARGE`.
 */
import { Readable } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { malformed, tooLarge } from './errors.js';

/** A single CSV record longer than this is refused (a real list row is a few KB). */
export const MAX_RECORD_CHARS = 1 << 20;

export interface CsvRow {
  fields: string[];
  /** 1-based line where the record ends. */
  line: number;
}

export interface CsvOptions {
  delimiter?: string;
  /** Accept stray quotes inside unquoted fields (the DPL text file has them). */
  relaxQuotes?: boolean;
}

export async function* csvRows(file: string, text: AsyncIterable<string>, opts: CsvOptions = {}): AsyncGenerator<CsvRow> {
  const parser = parse({
    delimiter: opts.delimiter ?? ',',
    relax_column_count: true,
    relax_quotes: opts.relaxQuotes ?? false,
    skip_empty_lines: true,
    bom: true,
    info: true,
    max_record_size: MAX_RECORD_CHARS,
  });
  const source = Readable.from(text);
  source.on('error', (e) => parser.destroy(e));
  source.pipe(parser);
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield { fields: rec.record, line: rec.info.lines };
    }
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines;
      const where = line === undefined ? 'CSV' : `line ${line}`;
      if (e.code === 'CSV_MAX_RECORD_SIZE') throw tooLarge(file, where, `${MAX_RECORD_CHARS} characters per record`);
      throw malformed(file, where, 'well-formed CSV (' + e.code + ')');
    }
    throw e;
  } finally {
    source.destroy();
  }
}

/** OFAC writes null as `-0-` (with a trailing space); empty and null become ''. */
export function ofacField(v: string | undefined): string {
  if (v === undefined) return '';
  const t = v.trim();
  return t === '-0-' ? '' : t;
}
