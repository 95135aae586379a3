import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatCaptureLine, redactHeaders, redactUrl, type CaptureRecord } from './format.js';

export interface CaptureWriterOptions {
  /** Header names whose values are replaced by `<scheme> [redacted]`; default Authorization and Proxy-Authorization. */
  redactHeaders?: readonly string[];
}

/**
 * Appends capture records to a JSONL file. The file is created with mode 0600 (captures hold
 * phone numbers and message text) in a folder created as needed; each record is one line written
 * with one write() on an O_APPEND descriptor, so readers (and other writers) never see half a
 * record. Writes are queued: records land in the order append() was called.
 */
export class CaptureWriter {
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly options: CaptureWriterOptions,
  ) {}

  static async open(path: string, options: CaptureWriterOptions = {}): Promise<CaptureWriter> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await open(path, 'a', 0o600);
    try {
      // An existing file keeps its mode on open: tighten it too.
      const stat = await handle.stat();
      if ((stat.mode & 0o777) !== 0o600) await handle.chmod(0o600);
    } catch (err) {
      await handle.close();
      throw err;
    }
    return new CaptureWriter(path, handle, options);
  }

  /** Appends one record (credentials in headers and URL are redacted first). */
  append(record: CaptureRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`capture file ${this.path} is closed`));
    const safe: CaptureRecord = { ...record, url: redactUrl(record.url), headers: redactHeaders(record.headers, this.options.redactHeaders) };
    const bytes = Buffer.from(formatCaptureLine(safe), 'utf8');
    const write = async () => {
      let offset = 0;
      // One write() in practice; the loop only guards against a short write (disk full, signals).
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
