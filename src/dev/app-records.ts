/**
 * The apps `--exec` started, on disk: a SIGKILLed session cannot stop its app, so the next session
 * does. One small file per app in `<config>/apps/` (atomic, 0600; one file each, so concurrent
 * sessions never rewrite each other's), holding the app's pid and start time and the session's
 * own. A leftover app is stopped only when its session is gone and the pid still names the very
 * process that was started (same start time), so a reused pid is never signalled.
 *
 * Start times come from /proc/<pid>/stat (Linux). Elsewhere they are unknown: a leftover app is
 * then reported, never signalled.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/atomic.js';

export interface AppRecord {
  v: 1;
  /** The app's process (the shell --exec runs, leader of its own process group). */
  pid: number;
  /** Its start time in clock ticks since boot (/proc/<pid>/stat field 22); null where unknown. */
  startTime: string | null;
  command: string;
  cwd: string;
  startedAt: string;
  /** The twhook process that started it. */
  owner: { pid: number; host: string; startTime: string | null };
}

export interface LeftoverOutcome {
  record: AppRecord;
  /** stopped: it was running and was stopped; gone: already ended; unverifiable: cannot tell it is ours. */
  result: 'stopped' | 'gone' | 'unverifiable';
}

function folder(configDir: string): string {
  return join(configDir, 'apps');
}

/** Records the app a session just started; returns the function that forgets it once stopped. */
export function recordApp(
  configDir: string,
  session: string,
  app: { pid: number; command: string; cwd: string; startedAt: string },
): () => void {
  const path = join(folder(configDir), `${session}.json`);
  const record: AppRecord = {
    v: 1,
    pid: app.pid,
    startTime: processStartTime(app.pid),
    command: app.command,
    cwd: app.cwd,
    startedAt: app.startedAt,
    owner: { pid: process.pid, host: hostname(), startTime: processStartTime(process.pid) },
  };
  writeFileAtomic(path, JSON.stringify(record) + '\n');
  return () => rmSync(path, { force: true });
}

/**
 * Stops every app a session that is gone left running (see the module comment for which), and
 * forgets its record. Apps of live sessions, or of another host, are left alone.
 */
export async function stopLeftoverApps(
  configDir: string,
  options: { graceMs?: number } = {},
): Promise<LeftoverOutcome[]> {
  let names: string[];
  try {
    names = readdirSync(folder(configDir)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const outcomes: LeftoverOutcome[] = [];
  for (const name of names) {
    const path = join(folder(configDir), name);
    let record: AppRecord;
    try {
      record = JSON.parse(readFileSync(path, 'utf8')) as AppRecord;
      if (record.v !== 1 || !Number.isInteger(record.pid) || record.pid <= 1) throw new Error('not an app record');
    } catch {
      rmSync(path, { force: true });
      continue;
    }
    if (record.owner.host !== hostname() || isSameProcessAlive(record.owner.pid, record.owner.startTime)) continue;
    outcomes.push({ record, result: await stopIfOurs(record, options.graceMs ?? 3_000) });
    rmSync(path, { force: true });
  }
  return outcomes;
}

async function stopIfOurs(record: AppRecord, graceMs: number): Promise<LeftoverOutcome['result']> {
  const members = () => groupMembers(record);
  if (members() === undefined) return isPidAlive(record.pid) ? 'unverifiable' : 'gone';
  if (!members()!.length) return 'gone';
  signalGroup(record.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    if (!members()?.length) return 'stopped';
  }
  signalGroup(record.pid, 'SIGKILL');
  return 'stopped';
}

/**
 * The live processes of the app's process group, when that can be told for sure: the leader with
 * its recorded start time (or, the leader gone, members still in its group: a group id is not
 * reused while the group exists). undefined: it cannot be checked here (no /proc, no start time).
 */
function groupMembers(record: AppRecord): number[] | undefined {
  if (!record.startTime || !hasProc()) return undefined;
  const leader = readStat(record.pid);
  if (leader) return leader.startTime === record.startTime && leader.state !== 'Z' ? [record.pid] : [];
  const members: number[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    const stat = readStat(Number(pid));
    if (stat && stat.pgrp === record.pid && stat.state !== 'Z' && BigInt(stat.startTime) >= BigInt(record.startTime))
      members.push(Number(pid));
  }
  return members;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

function hasProc(): boolean {
  return readStat(process.pid) !== undefined;
}

/** The start time of a process, in clock ticks since boot; null where /proc is not there. */
export function processStartTime(pid: number): string | null {
  return readStat(pid)?.startTime ?? null;
}

function readStat(pid: number): { state: string; pgrp: number; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTime = fields[19];
  if (!fields[0] || !fields[2] || !startTime) return undefined;
  return { state: fields[0], pgrp: Number(fields[2]), startTime };
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive and, where start times are known, the same process (not a later one with its pid). */
function isSameProcessAlive(pid: number, startTime: string | null): boolean {
  if (!isPidAlive(pid)) return false;
  if (!startTime) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}
