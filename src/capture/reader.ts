/**
 * Reads capture files (JSONL v1 or HAR 1.2, detected by content) as a stream: a file is never
 * loaded whole, so memory stays flat whatever its size. Lines that cannot be read become
 * `{ file, line, error }` items and reading goes on.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CaptureFormatError, checkRecord, type CaptureItem } from './format.js';
import { harEntryToRecord } from './har.js';

/** A file path, or a named stream (stdin as "-"). */
export type CaptureSource = string | { name: string; stream: Readable };

export interface ReadCapturesOptions {
  /** Longest line (or HAR entry) accepted, in characters; longer ones become errors. Default 32 Mi. */
  maxRecordChars?: number;
  signal?: AbortSignal;
}

/** A file that cannot be opened or read (exit 2 for the CLI), as opposed to a bad line in it. */
export class CaptureFileError extends Error {
  constructor(
    readonly file: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_MAX = 32 * 1024 * 1024;
const CHUNK = 1 << 20;

/** Every record of every source, in order. */
export async function* readCaptures(sources: CaptureSource | CaptureSource[], options: ReadCapturesOptions = {}): AsyncGenerator<CaptureItem> {
  for await (const batch of readCaptureBatches(sources, options)) yield* batch;
}

/**
 * The same items, a chunk's worth at a time: callers that check 100,000 records avoid one
 * promise per record.
 */
export async function* readCaptureBatches(sources: CaptureSource | CaptureSource[], options: ReadCapturesOptions = {}): AsyncGenerator<CaptureItem[]> {
  for (const source of Array.isArray(sources) ? sources : [sources]) {
    yield* readSource(source, options);
  }
}

function openSource(source: CaptureSource): { name: string; stream: Readable } {
  if (typeof source !== 'string') return source;
  return { name: source, stream: createReadStream(source, { highWaterMark: CHUNK }) };
}

function fileError(name: string, err: unknown): CaptureFileError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder' : ((err as Error).message ?? String(err));
  return new CaptureFileError(name, code, `cannot read ${name}: ${why}`);
}

async function* readSource(source: CaptureSource, options: ReadCapturesOptions): AsyncGenerator<CaptureItem[]> {
  const { name, stream } = openSource(source);
  const max = options.maxRecordChars ?? DEFAULT_MAX;
  const decoder = new StringDecoder('utf8');
  let parser: ((text: string, last: boolean) => CaptureItem[]) | undefined;
  let head = '';
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      if (options.signal?.aborted) return;
      let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      if (!parser) {
        head += text;
        const kind = detect(head);
        if (kind === undefined) continue;
        parser = kind === 'har' ? harParser(name, max) : jsonlParser(name, max);
        text = head;
        head = '';
      }
      const items = parser(text, false);
      if (items.length) yield items;
    }
    const rest = decoder.end();
    if (!parser) {
      head += rest;
      if (!head.trim()) return;
      parser = detect(head) === 'har' ? harParser(name, max) : jsonlParser(name, max);
      const items = parser(head, true);
      if (items.length) yield items;
      return;
    }
    const items = parser(rest, true);
    if (items.length) yield items;
  } catch (err) {
    if (err instanceof CaptureFileError) throw err;
    throw fileError(name, err);
  } finally {
    stream.destroy();
  }
}

/** 'har' when the first key of the top object is "log"; undefined until enough text is seen. */
function detect(head: string): 'har' | 'jsonl' | undefined {
  const m = /^\uFEFF?\s*(\{\s*("?)(l(o(g("\s*:?)?)?)?)?)?/.exec(head);
  const seen = m?.[0] ?? '';
  if (/\{\s*"log"\s*:/.test(seen)) return 'har';
  // Still a possible prefix of `{ "log":` at the end of what was read: wait for more.
  if (seen.length === head.length && head.length < 4096) return undefined;
  return 'jsonl';
}

function jsonlParser(file: string, max: number): (text: string, last: boolean) => CaptureItem[] {
  let pending = '';
  let line = 0;
  let skipping = false; // inside a line longer than max: dropping text up to its newline
  let skippedLine = 0;
  const parse = (text: string, lineNo: number, items: CaptureItem[]) => {
    let start = 0;
    let end = text.length;
    if (end && text.charCodeAt(end - 1) === 13) end--;
    while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
    if (start === end) return;
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) start++;
    const body = start === 0 && end === text.length ? text : text.slice(start, end);
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (err) {
      items.push({ file, line: lineNo, error: `not JSON (${(err as Error).message})` });
      return;
    }
    try {
      items.push({ file, line: lineNo, record: checkRecord(value) });
    } catch (err) {
      items.push({ file, line: lineNo, error: err instanceof CaptureFormatError ? err.message : String(err) });
    }
  };
  return (text, last) => {
    const items: CaptureItem[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      line++;
      if (skipping) {
        skipping = false;
        items.push({ file, line: skippedLine, error: `line longer than ${max} characters: skipped` });
      } else if (pending) {
        parse(pending + text.slice(start, nl), line, items);
        pending = '';
      } else {
        parse(text.slice(start, nl), line, items);
      }
      start = nl + 1;
    }
    if (!skipping && start < text.length) {
      pending = pending ? pending + text.slice(start) : text.slice(start);
      if (pending.length > max) {
        skipping = true;
        skippedLine = line + 1;
        pending = '';
      }
    }
    if (last) {
      if (skipping) items.push({ file, line: skippedLine, error: `line longer than ${max} characters: skipped` });
      else if (pending) parse(pending, line + 1, items);
      pending = '';
    }
    return items;
  };
}

/**
 * A streaming scanner for HAR: it follows only the nesting of the top object, finds
 * `log.entries`, and hands each entry's text to JSON.parse once the entry is complete. Memory is
 * bounded by the largest entry, not the file.
 */
function harParser(file: string, max: number): (text: string, last: boolean) => CaptureItem[] {
  const keys: string[] = []; // the key each open container was opened under
  const types: number[] = []; // 123 '{' or 91 '['
  let inString = false;
  let escaped = false;
  let collecting = false; // collecting a string that may be a key of the top two objects
  let keyBuf = '';
  let lastString = '';
  let capturing = false;
  let captureParts: string[] = [];
  let captureLength = 0;
  let tooLong = false;
  let entryLine = 0;
  let entryCount = 0;
  let line = 1;
  let sawEntries = false;

  return (text, last) => {
    const items: CaptureItem[] = [];
    let captureFrom = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) {
          inString = false;
          if (collecting) {
            lastString = keyBuf;
            collecting = false;
          }
        } else if (collecting) keyBuf += text[i];
        continue;
      }
      if (c === 34) {
        inString = true;
        if (!capturing && types.length <= 2) {
          collecting = true;
          keyBuf = '';
        }
        continue;
      }
      if (c === 123 || c === 91) {
        const depth = types.length;
        if (!capturing && depth === 3 && types[2] === 91 && keys[2] === 'entries' && keys[1] === 'log') {
          capturing = true;
          captureParts = [];
          captureLength = 0;
          captureFrom = i;
          entryLine = line;
          tooLong = false;
        }
        keys.push(types[depth - 1] === 123 ? lastString : '');
        types.push(c);
        if (depth === 2 && keys[2] === 'entries' && keys[1] === 'log' && c === 91) sawEntries = true;
        continue;
      }
      if (c === 125 || c === 93) {
        keys.pop();
        types.pop();
        if (capturing && types.length === 3) {
          capturing = false;
          entryCount++;
          if (tooLong) {
            items.push({ file, line: entryLine, error: `HAR entry ${entryCount} is longer than ${max} characters: skipped` });
            continue;
          }
          captureParts.push(text.slice(captureFrom, i + 1));
          const json = captureParts.length === 1 ? captureParts[0]! : captureParts.join('');
          captureParts = [];
          try {
            items.push({ file, line: entryLine, record: harEntryToRecord(JSON.parse(json), entryCount) });
          } catch (err) {
            items.push({ file, line: entryLine, error: err instanceof CaptureFormatError ? `HAR entry ${entryCount}: ${err.message}` : `HAR entry ${entryCount} is not JSON` });
          }
        }
      }
    }
    if (capturing && !tooLong) {
      const part = text.slice(captureFrom);
      captureLength += part.length;
      if (captureLength > max) {
        tooLong = true;
        captureParts = [];
      } else captureParts.push(part);
    }
    if (last) {
      if (capturing || types.length) items.push({ file, line, error: 'the HAR file ends early (truncated?)' });
      else if (!sawEntries) items.push({ file, line: 1, error: 'a JSON object without log.entries: not a HAR file' });
    }
    return items;
  };
}
