// `dev --exec` SIGKILLed: its app outlives it. The next `dev` stops that app (and says so) before
// starting its own, instead of failing with "address in use" behind 502s. Spawns the built bin.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/dev-session.js';
import { BIN, binEnv, ROOT } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';

const built = existsSync(join(ROOT, 'dist', 'dev', 'app-records.js'));
const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** Running: a zombie (ended, not yet reaped by whoever inherited it) does not count. */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function dev(
  port: number,
  home: string,
  cwd: string,
): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  // The app listens on the port, so a second copy would fail with EADDRINUSE.
  const script = `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1', () => console.log('listening ' + process.pid))`;
  const child = spawn(
    process.execPath,
    [
      BIN,
      'dev',
      String(port),
      '--public-url',
      'https://dev.example.test',
      '--no-capture',
      '--exec',
      `exec node -e "${script}"`,
    ],
    {
      cwd,
      env: binEnv(home),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

const appPid = (text: string) => Number(/app \| listening (\d+)/.exec(text)?.[1]);

describe.runIf(built && existsSync('/proc/self/stat'))('twhook dev --exec after kill -9', () => {
  it('the next session stops the app the killed one left running, says so, and starts its own', async () => {
    const port = await freePort();
    const home = tempDir('twhook-home-');
    const cwd = tempDir();
    const first = dev(port, home, cwd);
    await waitFor('the first app', () => appPid(first.stderr()), 20_000);
    const orphan = appPid(first.stderr());
    leftovers.push(orphan);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(alive(orphan)).toBe(true);

    const second = dev(port, home, cwd);
    await waitFor('the second app', () => appPid(second.stderr().split('stopped the app')[1] ?? ''), 20_000);
    const err = second.stderr();
    expect(err).toMatch(
      new RegExp(
        `warning: stopped the app \`exec node -e .*\` \\(pid ${orphan}\\) that an earlier dev session started at .* and left running when it was killed`,
      ),
    );
    expect(err).not.toContain('EADDRINUSE');
    expect(alive(orphan)).toBe(false);
    const fresh = appPid(err.split('stopped the app')[1]!);
    leftovers.push(fresh);
    expect(fresh).not.toBe(orphan);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    await waitFor('the second app to stop', () => !alive(fresh), 5_000);
  });
});
