/**
 * A lock file between twhook processes (the journal's `journal.lock`): created with O_EXCL and
 * holding the owner's pid, host and a nonce. Held only for synchronous work, never across an
 * await, so a process never waits for a lock it holds itself. A lock whose process is gone is
 * taken over.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

/** A lock older than this whose owner cannot be checked (another host) is taken over. */
const LOCK_STALE_MS = 60_000;

export interface LockOptions {
  /** How long to wait for another process to release it. */
  waitMs: number;
  /** The error thrown after waitMs, given the holder's pid when known. */
  busy: (pid: number | undefined) => Error;
}

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface Holder {
  pid?: number;
  host?: string;
  nonce?: string;
  /** The file's content, to recognise this very lock later (the nonce makes it unique). */
  text: string;
}

function readHolder(path: string): Holder | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    try {
      return { ...(JSON.parse(text) as { pid?: number; host?: string; nonce?: string }), text };
    } catch {
      return { text };
    }
  } catch {
    return undefined;
  }
}

/** Takes the lock file, waiting for another process to release it; returns the release. */
export function acquireLock(path: string, options: LockOptions): () => void {
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex') });
  const deadline = performance.now() + options.waitMs;
  let delay = 5;
  for (;;) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, mine);
      } finally {
        closeSync(fd);
      }
      return () => {
        try {
          if (readFileSync(path, 'utf8') === mine) rmSync(path, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (breakStaleLock(path)) continue;
    if (performance.now() > deadline) throw options.busy(readHolder(path)?.pid);
    sleepSync(delay);
    delay = Math.min(delay * 2, 100);
  }
}

/** Removes the lock when its process is gone; true when it did (or the lock vanished). */
function breakStaleLock(path: string): boolean {
  const holder = readHolder(path);
  if (!holder) return true;
  let stale: boolean;
  let age: number;
  try {
    age = Date.now() - statSync(path).mtimeMs;
  } catch {
    return true;
  }
  // This process never waits for a lock it holds (every journal operation takes and releases the
  // lock synchronously), so a lock naming our own pid was left by an earlier process that had
  // it: pid 1 in a restarted container, or a reused pid.
  if (holder.pid === process.pid && holder.host === hostname()) stale = true;
  else if (holder.pid && holder.host === hostname()) stale = !isPidAlive(holder.pid);
  else if (!holder.pid)
    stale = age > 2_000; // a holder that died between create and write
  else stale = age > LOCK_STALE_MS;
  if (!stale) return false;
  // Taking over must not race another process that judged the same lock stale: the first of them
  // could already hold a fresh lock by the time the second acts. So takeovers are serialized by a
  // second lock file, and under it the lock is removed only if it is still the very one judged
  // (its nonce makes the content unique); a lock never moves while a live process holds it.
  const breaker = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(breaker, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    removeDeadBreaker(breaker);
    return false;
  }
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
    closeSync(fd);
    if (readHolder(path)?.text === holder.text) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
  return true;
}

/**
 * A takeover lasts microseconds; a breaker file that outlives its process (killed during a
 * takeover) would block every later one, so it goes once its process is gone or it is old.
 */
function removeDeadBreaker(breaker: string): void {
  const holder = readHolder(breaker);
  let age: number;
  try {
    age = Date.now() - statSync(breaker).mtimeMs;
  } catch {
    return;
  }
  const dead = holder?.pid && holder.host === hostname() ? !isPidAlive(holder.pid) && age > 100 : age > 5_000;
  if (dead && readHolder(breaker)?.text === holder?.text) rmSync(breaker, { force: true });
}
