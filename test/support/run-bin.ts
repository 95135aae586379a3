import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir } from './run-cli.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/twhook.js', import.meta.url));

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface BinOptions {
  /** Added to a minimal environment: PATH, NO_COLOR=1, a temporary HOME and XDG_CONFIG_HOME. */
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  /** Extra node flags before the bin (--import, --inspect...). */
  nodeArgs?: string[];
  /** Kill the child after this long (default 20 s) so a hung bin fails the test instead of the run. */
  timeoutMs?: number;
}

/**
 * Spawns the built bin (`node bin/twhook.js`; build first: `npx tsc -p tsconfig.build.json`).
 * Asynchronous on purpose: an emulator in the test process keeps answering while the child runs.
 * Nothing of the test process's environment leaks in (no TWILIO_*, no NGROK_*).
 */
export function runBin(args: string[], options: BinOptions = {}): Promise<BinResult> {
  const home = tempDir('twhook-home-');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NO_COLOR: '1',
    HOME: home,
    XDG_CONFIG_HOME: home + '/.config',
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
      cwd: options.cwd ?? tempDir('twhook-cwd-'),
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
