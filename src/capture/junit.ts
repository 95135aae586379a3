/**
 * A JUnit XML report, written as the test cases come (`twhook verify --junit`, `twhook test
 * --junit`). A suite's counts go in its opening tag, known only at its end: cases stream to a
 * side file, and close() assembles the report (each suite's tag, then its bytes copied from the
 * side file) and renames it into place, so a half-written report never sits at the path.
 */
import { closeSync, createWriteStream, openSync, readSync, writeSync, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { UsageError } from '../errors.js';

/** Why a case did not pass: `message` is the attribute, `details` the element's text. */
export interface JunitProblem {
  message: string;
  type?: string;
  details?: string;
}

export interface JunitCase {
  classname: string;
  name: string;
  /** Seconds, when the case has a duration. */
  time?: number;
  failure?: JunitProblem;
  error?: JunitProblem;
  skipped?: { message?: string };
}

interface SuiteCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

interface Suite extends SuiteCounts {
  name: string;
  /** Byte range of its cases in the side file. */
  start: number;
  end: number;
}

// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

/** Text for an XML attribute or element: escaped, with the control characters XML 1.0 forbids dropped. */
export const xml = (text: string) =>
  text
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

function problem(tag: 'failure' | 'error', p: JunitProblem): string {
  const type = p.type !== undefined ? ` type="${xml(p.type)}"` : '';
  const open = `<${tag} message="${xml(p.message)}"${type}`;
  return p.details !== undefined ? `${open}>${xml(p.details)}</${tag}>` : `${open}/>`;
}

export function junitCase(c: JunitCase): string {
  const time = c.time !== undefined ? ` time="${c.time.toFixed(3)}"` : '';
  const open = `    <testcase classname="${xml(c.classname)}" name="${xml(c.name)}"${time}`;
  let inner = '';
  if (c.failure) inner = problem('failure', c.failure);
  else if (c.error) inner = problem('error', c.error);
  else if (c.skipped)
    inner = c.skipped.message !== undefined ? `<skipped message="${xml(c.skipped.message)}"/>` : '<skipped/>';
  return inner ? `${open}>${inner}</testcase>\n` : `${open}/>\n`;
}

const countsTag = (c: SuiteCounts) =>
  `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}"`;

export class JunitWriter {
  private readonly suites: Suite[] = [];
  private bytes = 0;
  /** A failed write (a full disk), thrown by close(); abort() ignores it. */
  private failed: Error | undefined;

  private constructor(
    private readonly path: string,
    private readonly name: string,
    private readonly partPath: string,
    private readonly stream: WriteStream,
  ) {
    stream.on('error', (err) => void (this.failed ??= err));
  }

  /** Opens the side file; `name` names the <testsuites> element (and the first suite by default). */
  static async open(path: string, name: string): Promise<JunitWriter> {
    const partPath = `${path}.${randomUUID().slice(0, 8)}.part`;
    const stream = createWriteStream(partPath, { mode: 0o644 });
    try {
      await once(stream, 'open');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'its folder does not exist (create it, or give another path)'
          : code === 'EACCES'
            ? 'permission denied (give a path you can write)'
            : (code ?? (err as Error).message);
      throw new UsageError(`cannot write --junit ${path}: ${why}`);
    }
    return new JunitWriter(path, name, partPath, stream);
  }

  /** Starts a suite: the cases added next belong to it. Without a call, one suite named like the report. */
  suite(name: string): void {
    this.current();
    const last = this.suites[this.suites.length - 1]!;
    if (last.tests === 0 && last.start === this.bytes) last.name = name;
    else {
      last.end = this.bytes;
      this.suites.push({ name, tests: 0, failures: 0, errors: 0, skipped: 0, start: this.bytes, end: this.bytes });
    }
  }

  add(c: JunitCase): void {
    const suite = this.current();
    suite.tests++;
    if (c.failure) suite.failures++;
    else if (c.error) suite.errors++;
    else if (c.skipped) suite.skipped++;
    const text = junitCase(c);
    this.bytes += Buffer.byteLength(text);
    this.stream.write(text);
  }

  /** Waits while the side file's buffer is full: cases may come faster than they are written. */
  async drained(): Promise<void> {
    if (this.stream.writableNeedDrain) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    this.current().end = this.bytes;
    this.stream.end();
    if (!this.stream.closed) await once(this.stream, 'close');
    if (this.failed) {
      await unlink(this.partPath).catch(() => undefined);
      throw this.failed;
    }
    const total: SuiteCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    for (const s of this.suites) {
      total.tests += s.tests;
      total.failures += s.failures;
      total.errors += s.errors;
      total.skipped += s.skipped;
    }
    // Copied through one reused buffer: a read stream's fresh buffer per chunk would add the
    // report's size to the peak RSS until the next full GC.
    const tmp = `${this.path}.${randomUUID().slice(0, 8)}.tmp`;
    const out = openSync(tmp, 'w', 0o644);
    const part = openSync(this.partPath, 'r');
    try {
      writeSync(
        out,
        `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(this.name)}" ${countsTag(total)}>\n`,
      );
      const buffer = Buffer.allocUnsafe(64 * 1024);
      for (const s of this.suites) {
        writeSync(out, `  <testsuite name="${xml(s.name)}" ${countsTag(s)}>\n`);
        for (let at = s.start; at < s.end;) {
          const n = readSync(part, buffer, 0, Math.min(buffer.length, s.end - at), at);
          if (n <= 0) break;
          writeSync(out, buffer, 0, n);
          at += n;
        }
        writeSync(out, '  </testsuite>\n');
      }
      writeSync(out, '</testsuites>\n');
    } finally {
      closeSync(part);
      closeSync(out);
    }
    await rename(tmp, this.path);
    await unlink(this.partPath).catch(() => undefined);
  }

  /** Drops the report: nothing is left at the path or beside it. */
  async abort(): Promise<void> {
    this.stream.destroy();
    await unlink(this.partPath).catch(() => undefined);
  }

  private current(): Suite {
    if (!this.suites.length)
      this.suites.push({ name: this.name, tests: 0, failures: 0, errors: 0, skipped: 0, start: 0, end: 0 });
    return this.suites[this.suites.length - 1]!;
  }
}
