/**
 * `--exec "CMD"`: the app as a child of the session, with TWHOOK_PUBLIC_URL set. Its output is
 * passed on line by line (the renderers prefix it); it is stopped when the session ends: SIGTERM
 * to its process group, SIGKILL if it is still there after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface AppProcess {
  readonly pid: number | undefined;
  /** Resolves with the exit code (or the signal name) when the child ends, whoever ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(graceMs?: number): Promise<void>;
}

export interface StartAppOptions {
  command: string;
  cwd: string;
  env: Record<string, string | undefined>;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}

export function startApp(options: StartAppOptions): AppProcess {
  const windows = process.platform === 'win32';
  const child: ChildProcess = spawn(options.command, {
    shell: true,
    cwd: options.cwd,
    env: options.env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stopping it also stops what the shell started (npm, node...).
    detached: !windows,
    windowsHide: true,
  });
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = child[stream];
    if (!source) continue;
    createInterface({ input: source, crlfDelay: Infinity }).on('line', (line) => options.onLine(stream, line));
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': it comes once the output pipes are drained, so no last line is lost.
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      options.onLine('stderr', `cannot start ${options.command}: ${err.message}`);
      resolve({ code: 127, signal: null });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });

  const signal = (name: NodeJS.Signals) => {
    if (done || child.pid === undefined) return;
    try {
      if (windows) child.kill(name);
      else process.kill(-child.pid, name);
    } catch {
      /* already gone */
    }
  };

  return {
    pid: child.pid,
    exited,
    async stop(graceMs = 3_000) {
      if (done) return;
      signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const result = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (result === 'timeout') {
        signal('SIGKILL');
        await exited;
      }
    },
  };
}
