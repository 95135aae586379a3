/**
 * Reads capture files (JSONL v1 or HAR 1.2, detected by content) as a stream: a file is never
 * loaded whole, so memory stays flat whatever its size. Lines that cannot be read become
 * `{ file, line, error }` items and reading goes on.
 */
import { closeSync, open as fsOpen, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { unreadableReason } from '../errors.js';
import { CaptureFormatError, checkRecord, type CaptureItem } from './format.js';
import { harEntryToRecord } from './har.js';

/** A file path, or a named stream (stdin as "-"). */
export type CaptureSource = string | { name: string; stream: Readable };

export interface ReadCapturesOptions {
  /** Longest JSONL line (bytes) or HAR entry (characters) accepted; longer ones become errors. Default 32 Mi. */
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
const CHUNK = 64 * 1024;

/** Every record of every source, in order. */
export async function* readCaptures(
  sources: CaptureSource | CaptureSource[],
  options: ReadCapturesOptions = {},
): AsyncGenerator<CaptureItem> {
  for await (const batch of readCaptureBatches(sources, options)) yield* batch;
}

/**
 * The same items, a chunk's worth at a time: callers that check 100,000 records avoid one
 * promise per record.
 */
export async function* readCaptureBatches(
  sources: CaptureSource | CaptureSource[],
  options: ReadCapturesOptions = {},
): AsyncGenerator<CaptureItem[]> {
  for (const source of Array.isArray(sources) ? sources : [sources]) {
    yield* readSource(source, options);
  }
}

function fileError(name: string, err: unknown): CaptureFileError {
  const code = (err as NodeJS.ErrnoException).code;
  return new CaptureFileError(name, code, `cannot read ${name}: ${unreadableReason(err)}`);
}

/**
 * The bytes of a source, chunk by chunk. Files are read into one reused buffer (a stream would
 * allocate a new buffer per chunk, and on a 90 MB file those dead buffers alone, freed only at
 * the next full GC, would add tens of MiB to the peak RSS): a consumer must copy what it keeps
 * of a chunk before it asks for the next.
 */
async function* byteChunks(source: CaptureSource): AsyncGenerator<Buffer> {
  if (typeof source !== 'string') {
    try {
      for await (const chunk of source.stream as AsyncIterable<Buffer | string>) {
        yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      }
    } finally {
      source.stream.destroy();
    }
    return;
  }
  // Synchronous reads of one reused buffer: from the page cache each takes microseconds, where
  // an async read costs a thread-pool round trip (about 10 times the CPU of the read itself on a
  // 90 MB file). Every 16 chunks the loop yields to the event loop so signals still get through.
  const fd = await new Promise<number>((resolve, reject) =>
    fsOpen(source, 'r', (err, fd) => (err ? reject(err) : resolve(fd))),
  );
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (let n = 1; ; n++) {
      const bytesRead = readSync(fd, buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      yield buffer.subarray(0, bytesRead);
      if (n % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    closeSync(fd);
  }
}

type Parser = (chunk: Buffer, last: boolean) => CaptureItem[];

async function* readSource(source: CaptureSource, options: ReadCapturesOptions): AsyncGenerator<CaptureItem[]> {
  const name = typeof source === 'string' ? source : source.name;
  const max = options.maxRecordChars ?? DEFAULT_MAX;
  let parser: Parser | undefined;
  let head: Buffer[] = [];
  let headLength = 0;
  try {
    for await (const chunk of byteChunks(source)) {
      if (options.signal?.aborted) return;
      if (!parser) {
        // The reused buffer is overwritten by the next read: keep a copy until the format is known.
        head.push(Buffer.from(chunk));
        headLength += chunk.length;
        // A chunk can end inside a character: its U+FFFD must not decide the format early.
        const kind = detect(
          Buffer.concat(head)
            .toString('utf8', 0, Math.min(headLength, 4096))
            .replace(/\ufffd$/, ''),
        );
        if (kind === undefined && headLength < 4096) continue;
        parser = kind === 'har' ? harParser(name, max) : jsonlParser(name, max);
        const text = Buffer.concat(head);
        head = [];
        const items = parser(text, false);
        if (items.length) yield items;
        continue;
      }
      const items = parser(chunk, false);
      if (items.length) yield items;
    }
  } catch (err) {
    if (err instanceof CaptureFileError) throw err;
    throw fileError(name, err);
  }
  if (!parser) {
    const text = Buffer.concat(head);
    if (!text.toString('utf8').trim()) return;
    parser = detect(text.toString('utf8', 0, 4096)) === 'har' ? harParser(name, max) : jsonlParser(name, max);
    const items = parser(text, true);
    if (items.length) yield items;
    return;
  }
  const items = parser(Buffer.alloc(0), true);
  if (items.length) yield items;
}

/** 'har' when the first key of the top object is "log"; undefined until enough text is seen. */
function detect(head: string): 'har' | 'jsonl' | undefined {
  const m = /^\uFEFF?\s*(\{\s*("?)(l(o(g("\s*:?)?)?)?)?)?/.exec(head);
  const seen = m?.[0] ?? '';
  if (/\{\s*"log"\s*:/.test(seen)) return 'har';
  // Still a possible prefix of `{ "log":` at the end of what was read: wait for more.
  if (seen.length === head.length) return undefined;
  return 'jsonl';
}

/**
 * JSON Lines, split on the bytes: each line is decoded on its own, so the (usual) ASCII lines
 * become one-byte strings even when a few others hold emoji, and nothing is decoded twice.
 */
function jsonlParser(file: string, max: number): Parser {
  let carry: Buffer[] = [];
  let carryLength = 0;
  let line = 0;
  let skipping = false; // inside a line longer than max: dropping bytes up to its newline
  let skippedLine = 0;
  const parse = (bytes: Buffer, from: number, to: number, lineNo: number, items: CaptureItem[]) => {
    if (to > from && bytes[to - 1] === 13) to--;
    // The whole line counts (as it does for a line carried across chunks), so where the
    // chunks happen to split never changes the verdict.
    if (to - from > max) {
      items.push({ file, line: lineNo, error: `line longer than ${max} bytes: skipped` });
      return;
    }
    while (from < to && (bytes[from] === 32 || bytes[from] === 9)) from++;
    if (lineNo === 1 && to - from >= 3 && bytes[from] === 0xef && bytes[from + 1] === 0xbb && bytes[from + 2] === 0xbf)
      from += 3;
    if (from >= to) return;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8', from, to));
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
  const tooLong = (items: CaptureItem[]) =>
    items.push({ file, line: skippedLine, error: `line longer than ${max} bytes: skipped` });
  return (chunk, last) => {
    const items: CaptureItem[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      line++;
      if (skipping) {
        skipping = false;
        tooLong(items);
      } else if (carryLength) {
        carry.push(chunk.subarray(start, nl));
        const whole = Buffer.concat(carry);
        carry = [];
        carryLength = 0;
        parse(whole, 0, whole.length, line, items);
      } else {
        parse(chunk, start, nl, line, items);
      }
      start = nl + 1;
    }
    if (!skipping && start < chunk.length) {
      carryLength += chunk.length - start;
      // + 1: the '\r' of a CRLF line is not part of it.
      if (carryLength > max + 1) {
        skipping = true;
        skippedLine = line + 1;
        carry = [];
        carryLength = 0;
      } else carry.push(Buffer.from(chunk.subarray(start)));
    }
    if (last) {
      if (skipping) tooLong(items);
      else if (carryLength) {
        const whole = Buffer.concat(carry);
        parse(whole, 0, whole.length, line + 1, items);
      }
      carry = [];
      carryLength = 0;
    }
    return items;
  };
}

/**
 * A streaming scanner for HAR: it follows only the nesting of the top object, finds
 * `log.entries`, and hands each entry's text to JSON.parse once the entry is complete. Memory is
 * bounded by the largest entry, not the file.
 */
function harParser(file: string, max: number): Parser {
  const decoder = new StringDecoder('utf8');
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
  // The file with each entry replaced by null: parsed at the end, so that anything between,
  // around or after the entries that is not JSON (garbage, a missing comma) is reported.
  const skeleton: string[] = [];
  let skeletonLength = 0;
  const keep = (part: string) => {
    if (skeletonLength > max) return;
    skeleton.push(part);
    skeletonLength += part.length;
  };

  return (chunk, last) => {
    const text = decoder.write(chunk) + (last ? decoder.end() : '');
    const items: CaptureItem[] = [];
    let captureFrom = 0;
    let skeletonFrom = 0;
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
          keep(text.slice(skeletonFrom, i) + 'null');
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
          skeletonFrom = i + 1;
          entryCount++;
          if (tooLong) {
            items.push({
              file,
              line: entryLine,
              error: `HAR entry ${entryCount} is longer than ${max} characters: skipped`,
            });
            continue;
          }
          captureParts.push(text.slice(captureFrom, i + 1));
          const json = captureParts.length === 1 ? captureParts[0]! : captureParts.join('');
          captureParts = [];
          let entry: unknown;
          try {
            entry = JSON.parse(json);
          } catch {
            items.push({ file, line: entryLine, error: `HAR entry ${entryCount} is not JSON` });
            continue;
          }
          try {
            items.push({ file, line: entryLine, record: harEntryToRecord(entry, entryCount), har: true });
          } catch (err) {
            items.push({
              file,
              line: entryLine,
              error: `HAR entry ${entryCount}: ${err instanceof CaptureFormatError ? err.message : String(err)}`,
            });
          }
        }
      }
    }
    if (!capturing) keep(text.slice(skeletonFrom));
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
      else if (skeletonLength <= max) {
        try {
          JSON.parse(skeleton.join(''));
        } catch (err) {
          items.push({
            file,
            line,
            error: `the HAR file is not valid JSON around its entries (${(err as Error).message}): it was cut or edited by hand`,
          });
        }
      }
    }
    return items;
  };
}
