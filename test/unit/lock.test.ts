import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/state/lock.js';
import { tempDir } from '../support/run-cli.js';

const busy = (pid: number | undefined) => new Error(`busy ${pid}`);
const DEAD = 4194305; // above Linux's pid_max: never a running process

describe('acquireLock', () => {
  it('takes a free lock, and releases only its own', () => {
    const path = join(tempDir(), 'x.lock');
    const release = acquireLock(path, { waitMs: 50, busy });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    release();
    expect(existsSync(path)).toBe(false);
    const again = acquireLock(path, { waitMs: 50, busy });
    writeFileSync(path, JSON.stringify({ pid: process.ppid, host: hostname(), nonce: 'someone-else' }));
    again();
    expect(readFileSync(path, 'utf8')).toContain('someone-else');
  });

  it('waits for a live holder, then says who holds it', () => {
    const path = join(tempDir(), 'x.lock');
    writeFileSync(path, JSON.stringify({ pid: process.ppid, host: hostname(), nonce: 'held' }));
    expect(() => acquireLock(path, { waitMs: 50, busy })).toThrow(`busy ${process.ppid}`);
    expect(readFileSync(path, 'utf8')).toContain('held');
  });

  it("takes over a dead process's lock, even when a takeover was killed half-way (its breaker file left behind)", () => {
    const dir = tempDir();
    const path = join(dir, 'x.lock');
    writeFileSync(path, JSON.stringify({ pid: DEAD, host: hostname(), nonce: 'crashed' }));
    writeFileSync(`${path}.break`, JSON.stringify({ pid: DEAD + 1, host: hostname() }));
    const old = new Date(Date.now() - 10_000);
    utimesSync(`${path}.break`, old, old);
    const release = acquireLock(path, { waitMs: 2_000, busy });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(existsSync(`${path}.break`)).toBe(false);
    release();
    expect(existsSync(path)).toBe(false);
  });

  it('leaves a live takeover alone: its breaker file stands while its process runs', () => {
    const path = join(tempDir(), 'x.lock');
    writeFileSync(path, JSON.stringify({ pid: DEAD, host: hostname(), nonce: 'crashed' }));
    writeFileSync(`${path}.break`, JSON.stringify({ pid: process.ppid, host: hostname() }));
    expect(() => acquireLock(path, { waitMs: 50, busy })).toThrow(`busy ${DEAD}`);
    expect(existsSync(`${path}.break`)).toBe(true);
  });
});
