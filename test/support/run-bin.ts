import { spawn } from 'node:child_process';
import { join } from 'node:path';
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

/** An account to point a spawned twhook at: the emulator's. */
export interface BinAccount {
  accountSid: string;
  authToken: string;
  url: string;
}

/**
 * The environment of a spawned twhook: PATH, no colour, its own HOME and config folder under
 * `home`, and, given an account, its credentials and TWHOOK_API_URL. Nothing else leaks in.
 */
export function binEnv(home: string, account?: BinAccount): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NO_COLOR: '1',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    ...(account
      ? { TWILIO_ACCOUNT_SID: account.accountSid, TWILIO_AUTH_TOKEN: account.authToken, TWHOOK_API_URL: account.url }
      : {}),
  };
}

/**
 * Spawns the built bin (`node bin/twhook.js`; build first: `npx tsc -p tsconfig.build.json`).
 * Asynchronous on purpose: an emulator in the test process keeps answering while the child runs.
 * Nothing of the test process's environment leaks in (no TWILIO_*, no NGROK_*).
 */
export function runBin(args: string[], options: BinOptions = {}): Promise<BinResult> {
  const env = { ...binEnv(tempDir('twhook-home-')), ...options.env };
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
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
