/**
 * The backup journal across real processes (the built dist/): concurrent writers lose nothing,
 * and a writer killed (SIGKILL) at any moment leaves a readable journal that still holds every
 * original value, and a lock the next process takes over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Journal, type NumberEntry } from '../../src/state/journal.js';
import { ROOT } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';

const DIST_JOURNAL = `${ROOT}dist/state/journal.js`;
const built = existsSync(DIST_JOURNAL);

const WRITER = `
import { Journal } from ${JSON.stringify(DIST_JOURNAL)};
const [dir, count, tag] = process.argv.slice(1);
const journal = new Journal(dir);
for (let i = 0; Number(count) === 0 || i < Number(count); i++) {
  const entry = journal.begin({
    kind: 'number', accountSid: 'AC' + 'a'.repeat(32), numberSid: 'PN' + 'b'.repeat(32), phoneNumber: '+15005550006',
    before: { smsUrl: 'https://orig.example.com/' + tag + '/' + i }, after: { smsUrl: 'https://new.example.com/' },
    origin: 'configure', batch: tag,
  });
  journal.markApplied(entry.id, {});
  if (i % 3 === 2) journal.markRestored([entry.id]);
}
`;

function writer(dir: string, count: number, tag: string): ChildProcess {
  return spawn(process.execPath, ['--input-type=module', '-e', WRITER, dir, String(count), tag], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!built)('journal across processes (needs `npx tsc -p tsconfig.build.json`)', () => {
  it('four concurrent writers: every entry of every process is there', async () => {
    const dir = tempDir();
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((tag) => exited(writer(dir, 25, tag))));
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    const entries = new Journal(dir).entries() as NumberEntry[];
    expect(entries).toHaveLength(100);
    expect(new Set(entries.map((e) => e.id)).size).toBe(100);
    expect(new Set(entries.map((e) => e.before.smsUrl)).size).toBe(100);
    expect(entries.every((e) => e.state !== 'pending')).toBe(true);
    expect(existsSync(new Journal(dir).lockPath)).toBe(false);
  });

  it('a writer killed at any moment leaves a readable journal holding the original values', async () => {
    const dir = tempDir();
    const journal = new Journal(dir, { lockWaitMs: 5_000 });
    let previous = 0;
    for (let round = 0; round < 4; round++) {
      const child = writer(dir, 0, `r${round}`);
      const done = exited(child);
      // Let it write a varying number of entries, then kill it mid-whatever it is doing.
      for (let i = 0; i < 500 && journal.entries().length < previous + 5 + round * 7; i++) await sleep(5);
      child.kill('SIGKILL');
      await done;
      const text = readFileSync(journal.path, 'utf8');
      const parsed = JSON.parse(text) as { entries: NumberEntry[] };
      expect(parsed.entries.length).toBeGreaterThan(previous);
      for (const e of parsed.entries) expect(e.before.smsUrl).toMatch(/^https:\/\/orig\.example\.com\/r\d\/\d+$/);
      previous = parsed.entries.length;
      // The next process gets the journal, whatever lock the killed one held.
      const mine = journal.begin({
        kind: 'number',
        accountSid: 'AC' + 'a'.repeat(32),
        numberSid: 'PN' + 'c'.repeat(32),
        phoneNumber: '+15005550007',
        before: { smsUrl: 'https://orig.example.com/r9/0' },
        after: {},
        origin: 'configure',
        batch: 'parent',
      });
      journal.markRestored([mine.id]);
      previous += 1;
    }
  });
});
