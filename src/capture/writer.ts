import { writeSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatCaptureLine, redactHeaders, redactUrl, type CaptureRecord } from './format.js';

export interface CaptureWriterOptions {
  /** Header names whose values are replaced by `<scheme> [redacted]`; default Authorization and Proxy-Authorization. */
  redactHeaders?: readonly string[];
}

const DONE: Promise<void> = Promise.resolve();

/**
 * Appends capture records to a JSONL file. The file is created with mode 0600 (captures hold
 * phone numbers and message text) in a folder created as needed; each record is one line written
 * with one write() on an O_APPEND descriptor, so readers (and other writers) never see half a
 * record. Records land in the order append() was called.
 *
 * To a regular file the write is synchronous: the record is in the file (the OS's cache) before
 * append() returns, so a crash loses at most the request in flight, and it costs a few
 * microseconds where a queued asynchronous write costs a thread-pool round trip per record (most
 * of the CPU `dev` spent per request). Anything else (a FIFO, a terminal) could block the event
 * loop on a slow reader: those get queued asynchronous writes.
 */
export class CaptureWriter {
  private queue: Promise<void> = DONE;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly options: CaptureWriterOptions,
    private readonly synchronous: boolean,
  ) {}

  static async open(path: string, options: CaptureWriterOptions = {}): Promise<CaptureWriter> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await open(path, 'a', 0o600);
    let regular: boolean;
    try {
      // An existing file keeps its mode on open: tighten it too.
      const stat = await handle.stat();
      if ((stat.mode & 0o777) !== 0o600) await handle.chmod(0o600);
      regular = stat.isFile();
    } catch (err) {
      await handle.close();
      throw err;
    }
    return new CaptureWriter(path, handle, options, regular);
  }

  /** Appends one record (credentials in headers and URL are redacted first). */
  append(record: CaptureRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`capture file ${this.path} is closed`));
    const safe: CaptureRecord = { ...record, url: redactUrl(record.url), headers: redactHeaders(record.headers, this.options.redactHeaders) };
    const bytes = Buffer.from(formatCaptureLine(safe), 'utf8');
    if (this.synchronous) {
      try {
        // One write() in practice; the loop only guards against a short write (disk full, signals).
        let offset = writeSync(this.handle.fd, bytes);
        while (offset < bytes.length) offset += writeSync(this.handle.fd, bytes, offset);
        return DONE;
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    const write = async () => {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
    };
    const next = this.queue.then(write);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Waits for queued records, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.handle.close();
  }
}
