/**
 * Reads the Torch Center export as a stream, one record at a time, whatever its size: JSON Lines
 * (`.jsonl`) or CSV with a header row (any other name). Memory stays flat: the caller pulls.
 */
import fs from 'node:fs';
import readline from 'node:readline';

export type ExportFormat = 'jsonl' | 'csv';

/** A raw record with the line it starts on (1-based), or a line that could not be read as one. */
export type ExportEntry = { line: number; raw: unknown } | { line: number; unreadable: 'bad_json' };

export function exportFormat(file: string): ExportFormat {
  return /\.jsonl$/i.test(file) ? 'jsonl' : 'csv';
}

async function* jsonLines(file: string): AsyncGenerator<ExportEntry> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line === 1 ? text.replace(/^\uFEFF/, '') : text);
    } catch {
      yield { line, unreadable: 'bad_json' };
      continue;
    }
    yield { line, raw };
  }
}

async function* csvRows(file: string): AsyncGenerator<ExportEntry> {
  // Loaded here: only the import command reads CSV, and the server need not carry the parser.
  const { parse } = await import('csv-parse');
  const parser = fs.createReadStream(file).pipe(
    parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, info: true, trim: false }),
  );
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: info.lines, raw: record };
  }
}

export function readLegacyExport(file: string, format: ExportFormat = exportFormat(file)): AsyncGenerator<ExportEntry> {
  return format === 'jsonl' ? jsonLines(file) : csvRows(file);
}
