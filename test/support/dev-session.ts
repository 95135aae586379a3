import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach } from 'vitest';
import { main } from '../../src/cli.js';
import type { Deps } from '../../src/ctx.js';
import { MemoryStream, tempDir } from './run-cli.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

export interface RunningCli {
  stdout: MemoryStream;
  stderr: MemoryStream;
  /** The exit code, once the command has returned. */
  exit: Promise<number>;
  /** Ctrl-C: aborts ctx.signal. */
  interrupt(): void;
  /** stdout parsed as one JSON value a line. */
  json(): Record<string, any>[];
  cwd: string;
  configDir: string;
}

/** Runs the CLI in-process without waiting for it to end, so a test can talk to a session. */
export function startCli(
  argv: string[],
  options: { env: Record<string, string>; cwd?: string; configDir?: string; tty?: boolean; now?: Date },
): RunningCli {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const controller = new AbortController();
  const cwd = options.cwd ?? tempDir('twhook-dev-cwd-');
  const configDir = options.configDir ?? tempDir('twhook-dev-config-');
  const now = options.now ?? new Date('2026-11-27T10:00:00.000Z');
  const tty = options.tty ?? false;
  const deps: Deps = {
    io: { stdin: new PassThrough(), stdout, stderr, isStdinTTY: tty, isStdoutTTY: tty, isStderrTTY: tty },
    env: options.env,
    cwd,
    clock: { now: () => now },
    signal: controller.signal,
    configDir,
  };
  const exit = main(argv, deps);
  cleanups.push(async () => {
    controller.abort();
    await exit.catch(() => undefined);
  });
  return {
    stdout,
    stderr,
    exit,
    interrupt: () => controller.abort(),
    json: () =>
      stdout
        .text()
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Record<string, any>),
    cwd,
    configDir,
  };
}

/** Polls until `check` returns a value (bounded: fails after `timeoutMs`). */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface TestApp {
  port: number;
  url: string;
  seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

/** A local app on a free port; `handler` answers after the body is read. */
export async function startApp(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<TestApp> {
  const seen: TestApp['seen'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  cleanups.push(close);
  return { port, url: `http://127.0.0.1:${port}`, seen, close };
}

export interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A POST (or other method) to the proxy, as Twilio (through a tunnel) would send it. */
export function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method,
        agent: false,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': String(Buffer.byteLength(body)),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
