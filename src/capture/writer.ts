import { writeSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatCaptureLine, redactHeaders, redactUrl, type CaptureRecord } from './format.js';

export interface CaptureWriterOptions {
  /** Header names whose values are replaced by `<scheme> [redacted]`; default Authorization and Proxy-Authorization. */
  redactHeaders?: readonly string[];
  /**
   * Called when records could not be written (disk full, the file's folder removed), once per
   * failed write of a batch. The promises append() returned for those records reject too.
   */
  onError?: (error: Error) => void;
}

const DONE: Promise<void> = Promise.resolve();
/** A batch this large is written at once rather than at the end of the event-loop turn. */
export const CAPTURE_BATCH_BYTES = 64 * 1024;

interface Batch {
  lines: string[];
  bytes: number;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Writers with records not yet written: flushed synchronously if the process exits first. */
const unflushed = new Set<CaptureWriter>();
let exitHookInstalled = false;
function flushAllOnExit(): void {
  for (const writer of unflushed) writer.flushSync();
}

/**
 * Appends capture records to a JSONL file. The file is created with mode 0600 (captures hold
 * phone numbers and message text) in a folder created as needed. Records land in the order
 * append() was called, each a whole line.
 *
 * To a regular file, the records appended during one turn of the event loop are written with one
 * write() on an O_APPEND descriptor at the end of that turn (or as soon as 64 KiB are waiting),
 * so readers (and other writers) never see half a record, and a busy `dev` session makes one
 * system call per burst of requests rather than one per request (a write per record was most of
 * what capturing cost). The answer to Twilio has gone out by then. close() writes what is left,
 * and so does the process exiting (process.exit, an uncaught error); only a SIGKILL or a power
 * cut can lose the records of the last turn. Anything else (a FIFO, a terminal) could block the
 * event loop on a slow reader: those get queued asynchronous writes, one per batch.
 */
export class CaptureWriter {
  private queue: Promise<void> = DONE;
  private closed = false;
  private batch: Batch | undefined;
  private scheduled = false;

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

  /**
   * Appends one record (credentials in headers and URL are redacted first). The promise settles
   * once the record is written; it is shared by the records of one batch, and needs no handler
   * (a failure also goes to `onError`).
   */
  append(record: CaptureRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`capture file ${this.path} is closed`));
    const url = record.url.includes('@') ? redactUrl(record.url) : record.url;
    const headers = redactHeaders(record.headers, this.options.redactHeaders);
    const credentialedUrl = record.credentialedUrl === undefined ? undefined : redactUrl(record.credentialedUrl);
    const line = formatCaptureLine(
      url === record.url && headers === record.headers && credentialedUrl === record.credentialedUrl
        ? record
        : { ...record, url, headers, ...(credentialedUrl !== undefined ? { credentialedUrl } : {}) },
    );
    const batch = (this.batch ??= newBatch());
    batch.lines.push(line);
    // Characters, not bytes: a bound on the batch, not an exact size.
    batch.bytes += line.length;
    if (batch.bytes >= CAPTURE_BATCH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      unflushed.add(this);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.on('exit', flushAllOnExit);
      }
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
    return batch.promise;
  }

  /** Writes the records appended so far now (to a regular file: before it returns). */
  flushSync(): void {
    this.flush();
  }

  private flush(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    if (!this.scheduled) unflushed.delete(this);
    const text = batch.lines.length === 1 ? batch.lines[0]! : batch.lines.join('');
    if (this.synchronous) {
      try {
        const bytes = Buffer.from(text, 'utf8');
        // One write() in practice; the loop only guards against a short write (disk full, signals).
        let offset = writeSync(this.handle.fd, bytes);
        while (offset < bytes.length) offset += writeSync(this.handle.fd, bytes, offset);
        batch.resolve();
      } catch (err) {
        this.failed(batch, err as Error);
      }
      return;
    }
    const bytes = Buffer.from(text, 'utf8');
    const write = async () => {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
    };
    const next = this.queue.then(write);
    this.queue = next.then(batch.resolve, (err: Error) => this.failed(batch, err));
  }

  private failed(batch: Batch, error: Error): void {
    batch.reject(error);
    this.options.onError?.(error);
  }

  /** Writes what is waiting, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    unflushed.delete(this);
    await this.queue;
    await this.handle.close();
  }
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Handled here: a caller may drop the promise (the failure also goes to onError).
  promise.catch(() => undefined);
  return { lines: [], bytes: 0, promise, resolve, reject };
}
