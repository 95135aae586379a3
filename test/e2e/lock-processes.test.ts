/**
 * The lock file across real processes (the built dist/): two processes that find a dead
 * process's lock at the same moment must not both take it, and neither may move the lock of a
 * process that took it in between (its release would then miss, leaving a lock nobody holds).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';

const DIST_LOCK = `${ROOT}dist/state/lock.js`;
const built = existsSync(DIST_LOCK);

// Rounds start at the same moment in both processes (a shared clock), each finding the lock of a
// process that died holding it (a pid above Linux's pid_max): both try to take it over at once.
// Each holder checks it is alone (a marker created with O_EXCL) and that its lock file stays its
// own while it holds it, bumps a shared counter, and then dies holding the lock in its turn.
const CONTENDER = `
import { acquireLock } from ${JSON.stringify(DIST_LOCK)};
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
const [dir, rounds, tag, t0] = process.argv.slice(1);
const lock = dir + '/test.lock', counter = dir + '/counter', marker = dir + '/inside';
const problems = [];
const held = () => { try { return readFileSync(lock, 'utf8'); } catch { return '(no lock file)'; } };
const die = (i) => {
  writeFileSync(lock + '.' + tag, JSON.stringify({ pid: 4194305 + i, host: hostname(), nonce: tag + i }));
  renameSync(lock + '.' + tag, lock);
};
if (tag === 'a') die(0);
for (let i = 0; i < Number(rounds); i++) {
  const start = Number(t0) + i * 15;
  while (Date.now() < start) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  acquireLock(lock, { waitMs: 20_000, busy: (pid) => new Error('still locked by ' + pid) });
  const mine = held();
  try { closeSync(openSync(marker, 'wx')); } catch { problems.push('round ' + i + ': another process holds the lock too'); }
  writeFileSync(counter, String(Number(readFileSync(counter, 'utf8')) + 1));
  if (held() !== mine) problems.push('round ' + i + ': the lock was moved while held: ' + held());
  rmSync(marker, { force: true });
  die(i + 1);
}
process.stdout.write(JSON.stringify(problems));
`;

function contender(
  dir: string,
  rounds: number,
  tag: string,
  t0: number,
): Promise<{ code: number | null; problems: string[]; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', CONTENDER, dir, String(rounds), tag, String(t0)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('exit', (code) => resolve({ code, stderr, problems: stdout ? (JSON.parse(stdout) as string[]) : [] })),
  );
}

describe.skipIf(!built)('lock file across processes (needs `npm run build`)', () => {
  it("two processes taking over dead processes' locks at once: one holder at a time, and no lock moved while held", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'counter'), '0');
    const rounds = 300;
    // Both processes start their first round together, once both are surely running.
    const t0 = Date.now() + 1500;
    const results = await Promise.all([contender(dir, rounds, 'a', t0), contender(dir, rounds, 'b', t0)]);
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.problems).toEqual([]);
    }
    expect(Number(readFileSync(join(dir, 'counter'), 'utf8'))).toBe(2 * rounds);
  }, 120_000);
});
