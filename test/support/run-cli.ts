import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { main } from '../../src/cli.js';
import type { Deps } from '../../src/ctx.js';

export class MemoryStream extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export interface RunOptions extends Partial<Omit<Deps, 'io'>> {
  /** Environment variables; nothing is inherited from the test process. */
  env?: Record<string, string | undefined>;
  tty?: boolean;
  stdin?: Readable | string;
  now?: Date;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON value per line. */
  json: () => unknown[];
}

/** A temporary folder, for a config dir or a working directory. */
export function tempDir(prefix = 'twhook-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs the CLI in-process with memory streams, a fixed clock and a fresh config dir. */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const stdin =
    typeof options.stdin === 'string' ? Readable.from([options.stdin]) : (options.stdin ?? new PassThrough());
  const tty = options.tty ?? false;
  const now = options.now ?? new Date('2026-11-27T10:00:00.000Z');
  const deps: Deps = {
    io: { stdin, stdout, stderr, isStdinTTY: tty, isStdoutTTY: tty, isStderrTTY: tty },
    env: options.env ?? {},
    cwd: options.cwd ?? tempDir('twhook-cwd-'),
    clock: options.clock ?? { now: () => now },
    signal: options.signal ?? new AbortController().signal,
    configDir: options.configDir ?? tempDir('twhook-config-'),
    twilioFactory: options.twilioFactory,
    tunnelFactory: options.tunnelFactory,
    prompter: options.prompter,
  };
  const code = await main(argv, deps);
  const out = stdout.text();
  return {
    code,
    stdout: out,
    stderr: stderr.text(),
    json: () =>
      out
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as unknown),
  };
}
