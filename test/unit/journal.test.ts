import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { Journal, newBatchId, type NumberEntry } from '../../src/state/journal.js';
import { maskUrl, urlPassword } from '../../src/webhooks/url.js';
import { tempDir } from '../support/run-cli.js';

const AC = 'AC' + 'a'.repeat(32);
const PN = 'PN' + 'b'.repeat(32);

function numberEntry(
  journal: Journal,
  before: Record<string, string | null>,
  after: Record<string, string | null>,
  extra: Partial<NumberEntry> = {},
) {
  return journal.begin({
    kind: 'number',
    accountSid: AC,
    numberSid: PN,
    phoneNumber: '+15005550006',
    before,
    after,
    origin: 'configure',
    batch: newBatchId(),
    ...extra,
  } as never) as NumberEntry;
}

describe('Journal', () => {
  it('writes a pending entry before the change, then marks it applied and restored', () => {
    const dir = tempDir();
    let t = 0;
    const journal = new Journal(dir, { now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, t++)) });
    const entry = numberEntry(journal, { smsUrl: 'https://old.test/sms' }, { smsUrl: 'https://new.test/sms' });
    expect(entry.state).toBe('pending');
    // A fresh reader (another process) sees it on disk.
    const other = new Journal(dir);
    expect(other.entries()).toHaveLength(1);
    expect(other.entries()[0]).toMatchObject({ state: 'pending', before: { smsUrl: 'https://old.test/sms' } });
    journal.markApplied(entry.id, { after: { smsUrl: 'https://new.test/sms' } });
    expect(other.unrestored()).toHaveLength(1);
    journal.markRestored([entry.id], 'done');
    expect(other.unrestored()).toHaveLength(0);
    expect(other.get(entry.id)).toMatchObject({
      state: 'restored',
      note: 'done',
      restoredAt: '2026-01-01T00:00:02.000Z',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(statSync(journal.path).mode & 0o777).toBe(0o600);
    expect(existsSync(journal.lockPath)).toBe(false);
  });

  it('finds entries by unique id prefix and says when a prefix is ambiguous or unknown', () => {
    const journal = new Journal(tempDir());
    const a = numberEntry(journal, {}, {});
    expect(journal.get(a.id.slice(0, 6)).id).toBe(a.id);
    expect(() => journal.get('zzzzzz')).toThrow(UsageError);
  });

  it('discards an entry whose change never happened', () => {
    const journal = new Journal(tempDir());
    const a = numberEntry(journal, { smsUrl: null }, { smsUrl: 'https://x.test' });
    journal.discard(a.id);
    expect(journal.entries()).toEqual([]);
  });

  it('keeps basic-auth passwords out of the journal file and puts them back on read', () => {
    const dir = tempDir();
    const journal = new Journal(dir);
    const url = 'https://alice:s3cr3t-pass@app.test/sms?x=1#ct=1000';
    const a = numberEntry(journal, { smsUrl: url }, { smsUrl: 'https://bob:other-pass@new.test/' });
    const text = readFileSync(journal.path, 'utf8');
    expect(text).not.toContain('s3cr3t-pass');
    expect(text).not.toContain('other-pass');
    expect(text).toContain('https://alice:{twhook-secret:');
    expect(statSync(journal.secretsPath).mode & 0o777).toBe(0o600);
    expect((new Journal(dir).get(a.id) as NumberEntry).before.smsUrl).toBe(url);
    journal.markRestored([a.id]);
    journal.update(a.id, { before: { smsUrl: 'https://nopass.test/' }, after: {} });
    // No entry needs a password any more: the secrets file goes.
    expect(existsSync(journal.secretsPath)).toBe(false);
    expect(maskUrl(url)).toBe('https://alice:***@app.test/sms?x=1#ct=1000');
    expect(urlPassword(url)).toBe('s3cr3t-pass');
  });

  it('refuses to overwrite a journal it cannot read', () => {
    const dir = tempDir();
    const journal = new Journal(dir);
    writeFileSync(journal.path, '{"version":1,"entries":[');
    expect(() => numberEntry(journal, {}, {})).toThrow(/not valid.*will not overwrite/);
    expect(readFileSync(journal.path, 'utf8')).toBe('{"version":1,"entries":[');
  });

  it('says a journal of a newer twhook needs that version, rather than calling it invalid, and leaves it alone', () => {
    const dir = tempDir();
    const journal = new Journal(dir);
    const newer = '{"version":2,"entries":[]}\n';
    writeFileSync(journal.path, newer);
    expect(() => numberEntry(journal, {}, {})).toThrow(/newer twhook.*journal version 2.*will not overwrite/);
    expect(() => journal.entries()).toThrow(UsageError);
    expect(readFileSync(journal.path, 'utf8')).toBe(newer);
  });

  it('takes over a lock whose process is gone', () => {
    const dir = tempDir();
    const journal = new Journal(dir);
    // pid 2^22+1 is above Linux's default pid_max: never a live process.
    writeFileSync(journal.lockPath, JSON.stringify({ pid: 4194305, host: hostname(), nonce: 'x' }));
    numberEntry(journal, {}, {});
    expect(journal.entries()).toHaveLength(1);
    expect(existsSync(journal.lockPath)).toBe(false);
  });

  it('respects a live lock holder, then says who holds it; reads need no lock', () => {
    const dir = tempDir();
    const journal = new Journal(dir, { lockWaitMs: 50 });
    // The parent (the test runner) is alive and is not this process.
    writeFileSync(journal.lockPath, JSON.stringify({ pid: process.ppid, host: hostname(), nonce: 'held' }));
    expect(() => numberEntry(journal, {}, {})).toThrow(`locked by another twhook process (pid ${process.ppid})`);
    expect(journal.entries()).toEqual([]);
    expect(readFileSync(journal.lockPath, 'utf8')).toContain('held');
  });

  it("takes over a lock naming this process's own pid: an earlier process with the same pid left it (pid 1 in a restarted container)", () => {
    const dir = tempDir();
    const journal = new Journal(dir, { lockWaitMs: 50 });
    writeFileSync(
      journal.lockPath,
      JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'from-an-earlier-life' }),
    );
    numberEntry(journal, {}, {});
    expect(journal.entries()).toHaveLength(1);
    expect(existsSync(journal.lockPath)).toBe(false);
  });

  it('writes nothing outside the config folder', () => {
    const dir = tempDir();
    const journal = new Journal(join(dir, 'nested', 'twhook'));
    numberEntry(journal, {}, {});
    expect(existsSync(join(dir, 'nested', 'twhook', 'journal.json'))).toBe(true);
    expect(statSync(join(dir, 'nested', 'twhook')).mode & 0o777).toBe(0o700);
  });
});
