/**
 * An Output whose lines are written at the end of the event loop's turn, all the lines of the turn
 * in one write per stream: `dev` draws a line (or a few) per request, and a write per line was a
 * system call per request on a busy session. Order is kept, stdout and stderr interleaved as
 * written. flush() writes what is waiting now; so does the process exiting.
 */
import { Writable } from 'node:stream';
import type { Io } from '../ctx.js';
import { Output } from './output.js';

export interface BatchedOutput {
  out: Output;
  /** Writes every waiting line now. */
  flush(): void;
  /** Flushes and stops batching: later lines are written at once. */
  close(): void;
}

export function batchedOutput(out: Output): BatchedOutput {
  const real = out.io;
  /** Runs of text for one stream, in the order written. */
  const runs: { stream: Writable; text: string }[] = [];
  let scheduled = false;
  let closed = false;
  const flush = () => {
    if (!runs.length) return;
    for (const run of runs.splice(0)) run.stream.write(run.text);
  };
  const onExit = () => flush();
  process.on('exit', onExit);
  const add = (stream: Writable, text: string) => {
    if (closed) {
      stream.write(text);
      return;
    }
    const last = runs[runs.length - 1];
    if (last && last.stream === stream) last.text += text;
    else runs.push({ stream, text });
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        flush();
      });
    }
  };
  const io: Io = { ...real, stdout: lineSink(real.stdout, add), stderr: lineSink(real.stderr, add) };
  return {
    out: new Output(io, { json: out.json, color: out.c.level > 0, redactor: out.redactor }),
    flush,
    close() {
      flush();
      closed = true;
      process.off('exit', onExit);
    },
  };
}

/** A Writable for Output's string writes: they go to `add` without the stream machinery. */
function lineSink(stream: Writable, add: (stream: Writable, text: string) => void): Writable {
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      add(stream, String(chunk));
      callback();
    },
  });
  // Output writes strings and never waits for 'drain': skip the per-write stream bookkeeping.
  sink.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    add(
      stream,
      typeof chunk === 'string'
        ? chunk
        : Buffer.from(chunk as Uint8Array).toString(
            typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
          ),
    );
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as Writable['write'];
  return sink;
}
