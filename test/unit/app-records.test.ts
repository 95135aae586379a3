// Which leftover --exec apps the next session stops: only the very process a killed session
// started (same pid AND start time). Linux (/proc); elsewhere start times are unknown.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processStartTime, stopLeftoverApps, type AppRecord } from '../../src/dev/app-records.js';
import { writeFileAtomic } from '../../src/state/atomic.js';
import { tempDir } from '../support/run-cli.js';

const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** Running: a zombie (ended, not yet reaped by this process, its parent) does not count. */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
  } catch {
    return false;
  }
}

/** A process in a group of its own, as --exec starts the app. */
function sleeper(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  child.unref();
  children.push(child.pid!);
  return child.pid!;
}

function record(configDir: string, pid: number, startTime: string | null, ownerPid = 2 ** 22 + 4321): void {
  const r: AppRecord = {
    v: 1,
    pid,
    startTime,
    command: 'npm run dev',
    cwd: '/tmp',
    startedAt: '2026-11-27T10:00:00.000Z',
    owner: { pid: ownerPid, host: hostname(), startTime: null },
  };
  writeFileAtomic(join(configDir, 'apps', `s${pid}.json`), JSON.stringify(r));
}

describe.runIf(existsSync('/proc/self/stat'))('leftover --exec apps', () => {
  it('stops the app of a session that is gone when pid and start time match, and forgets it', async () => {
    const configDir = tempDir();
    const pid = sleeper();
    record(configDir, pid, processStartTime(pid));
    const outcomes = await stopLeftoverApps(configDir, { graceMs: 2_000 });
    expect(outcomes.map((o) => o.result)).toEqual(['stopped']);
    expect(alive(pid)).toBe(false);
    expect(readdirSync(join(configDir, 'apps'))).toEqual([]);
  });

  it('never signals a process whose start time differs (a reused pid)', async () => {
    const configDir = tempDir();
    const pid = sleeper();
    record(configDir, pid, '1');
    const outcomes = await stopLeftoverApps(configDir, { graceMs: 200 });
    expect(outcomes.map((o) => o.result)).toEqual(['gone']);
    expect(alive(pid)).toBe(true);
  });

  it('leaves the app of a session that is still running alone', async () => {
    const configDir = tempDir();
    const pid = sleeper();
    record(configDir, pid, processStartTime(pid), process.pid);
    expect(await stopLeftoverApps(configDir, { graceMs: 200 })).toEqual([]);
    expect(alive(pid)).toBe(true);
    expect(readdirSync(join(configDir, 'apps'))).toHaveLength(1);
  });

  it('without a start time (no /proc where it ran), reports and does not signal', async () => {
    const configDir = tempDir();
    const pid = sleeper();
    record(configDir, pid, null);
    const outcomes = await stopLeftoverApps(configDir, { graceMs: 200 });
    expect(outcomes.map((o) => o.result)).toEqual(['unverifiable']);
    expect(alive(pid)).toBe(true);
  });
});
