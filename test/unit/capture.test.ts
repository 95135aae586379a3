import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  bodyBytes,
  bodyText,
  CaptureFileError,
  CaptureWriter,
  encodeBody,
  readCaptures,
  toHar,
  type CaptureItem,
  type CaptureRecord,
} from '../../src/capture/index.js';
import { tempDir } from '../support/run-cli.js';

const record = (id: string, extra: Partial<CaptureRecord> = {}): CaptureRecord => ({
  v: 1,
  id,
  receivedAt: '2026-11-27T10:00:00.000Z',
  method: 'POST',
  url: 'https://abc123.ngrok.app/sms',
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'sig=' },
  body: 'Body=Hi&From=%2B15551234567',
  ...extra,
});

async function all(
  sources: Parameters<typeof readCaptures>[0],
  options?: Parameters<typeof readCaptures>[1],
): Promise<CaptureItem[]> {
  const items: CaptureItem[] = [];
  for await (const item of readCaptures(sources, options)) items.push(item);
  return items;
}

describe('CaptureWriter', () => {
  it('creates folders and a 0600 file, and appends whole lines in order', async () => {
    const path = join(tempDir(), 'nested', 'deeper', 'c.jsonl');
    const writer = await CaptureWriter.open(path);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => writer.append(record(`r${i}`, { body: 'x'.repeat(i * 1000) }))),
    );
    await writer.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as CaptureRecord).id)).toEqual(
      Array.from({ length: 50 }, (_, i) => `r${i}`),
    );
    const again = await CaptureWriter.open(path);
    await again.append(record('more'));
    await again.close();
    expect(readFileSync(path, 'utf8').trimEnd().split('\n')).toHaveLength(51);
  });

  it('tightens an existing file to 0600', async () => {
    const path = join(tempDir(), 'c.jsonl');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    await (await CaptureWriter.open(path)).close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('never writes credentials: Authorization headers and URL passwords are redacted', async () => {
    const path = join(tempDir(), 'c.jsonl');
    const writer = await CaptureWriter.open(path);
    await writer.append(
      record('a', {
        url: 'https://twilio:hunter2-secret@abc123.ngrok.app/sms',
        headers: { authorization: `Basic ${Buffer.from('twilio:hunter2-secret').toString('base64')}` },
      }),
    );
    await writer.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(Buffer.from('twilio:hunter2-secret').toString('base64'));
    expect(JSON.parse(text)).toMatchObject({
      url: 'https://twilio:***@abc123.ngrok.app/sms',
      headers: { authorization: 'Basic [redacted]' },
    });
  });
});

describe('CaptureWriter: batched writes', () => {
  const lines = (path: string) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as CaptureRecord).id);

  it('writes the records of one event-loop turn together at the end of the turn, in order', async () => {
    const path = join(tempDir(), 'c.jsonl');
    const writer = await CaptureWriter.open(path);
    const written = [writer.append(record('a')), writer.append(record('b')), writer.append(record('c'))];
    // Nothing reaches the file during the turn that appended...
    expect(readFileSync(path, 'utf8')).toBe('');
    await new Promise((resolve) => setImmediate(resolve));
    // ...and all of it right after, before any promise of the batch is awaited.
    expect(lines(path)).toEqual(['a', 'b', 'c']);
    await Promise.all(written);
    await writer.close();
  });

  it('writes at once when a batch grows over 64 KiB', async () => {
    const path = join(tempDir(), 'c.jsonl');
    const writer = await CaptureWriter.open(path);
    void writer.append(record('big', { body: 'x'.repeat(70 * 1024) }));
    expect(lines(path)).toEqual(['big']);
    await writer.close();
  });

  it('close() writes what is waiting: nothing is lost when a session stops', async () => {
    const path = join(tempDir(), 'c.jsonl');
    const writer = await CaptureWriter.open(path);
    for (let i = 0; i < 100; i++) void writer.append(record(`r${i}`));
    await writer.close();
    expect(lines(path)).toEqual(Array.from({ length: 100 }, (_, i) => `r${i}`));
    await expect(writer.append(record('late'))).rejects.toThrow(/closed/);
  });

  it('a process that exits in the same turn (process.exit) still writes the waiting records', () => {
    // The built module in a child process (npm test builds first; run `npm run build` alone).
    const writerModule = fileURLToPath(new URL('../../dist/capture/writer.js', import.meta.url));
    expect(existsSync(writerModule)).toBe(true);
    const dir = tempDir();
    const path = join(dir, 'c.jsonl');
    const script = `
      const { CaptureWriter } = await import(${JSON.stringify(writerModule)});
      const writer = await CaptureWriter.open(${JSON.stringify(path)});
      for (let i = 0; i < 3; i++) writer.append({ v: 1, id: 'x' + i, receivedAt: 't', method: 'POST', url: 'https://a.test/sms', headers: {} });
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(lines(path)).toEqual(['x0', 'x1', 'x2']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a failed write rejects the batch and is reported once to onError', async () => {
    const path = join(tempDir(), 'c.jsonl');
    const errors: string[] = [];
    const writer = await CaptureWriter.open(path, { onError: (err) => errors.push(err.message) });
    // A closed descriptor underneath: the next write fails (EBADF), as a removed disk would.
    await (writer as unknown as { handle: { close(): Promise<void> } }).handle.close();
    const a = writer.append(record('a'));
    const b = writer.append(record('b'));
    await new Promise((resolve) => setImmediate(resolve));
    await expect(a).rejects.toThrow();
    await expect(b).rejects.toThrow();
    expect(errors).toHaveLength(1);
  });
});

describe('bodies', () => {
  it('keeps UTF-8 as text and other bytes as base64', () => {
    expect(encodeBody('Body=😀')).toEqual({ body: 'Body=😀' });
    const latin1 = Buffer.from('Body=caf\xe9', 'latin1');
    const encoded = encodeBody(latin1);
    expect(encoded).toEqual({ bodyBase64: latin1.toString('base64') });
    expect(bodyBytes(encoded)).toEqual(latin1);
    expect(bodyText(encoded)).toBe('Body=caf\ufffd');
    expect(encodeBody(new Uint8Array())).toEqual({});
  });
});

describe('readCaptures: JSONL', () => {
  it('reads records and reports malformed lines as file:line, continuing', async () => {
    const path = join(tempDir(), 'c.jsonl');
    const lines = [
      JSON.stringify(record('a')),
      'not json',
      '',
      '   ',
      '{"v":2,"url":"x","method":"POST"}',
      '[1]',
      '{"v":1,"method":"POST"}',
      JSON.stringify(record('b')) + '\r',
    ];
    writeFileSync(path, lines.join('\n'));
    const items = await all(path);
    expect(items.map((i) => [i.line, i.record?.id ?? i.error])).toEqual([
      [1, 'a'],
      [2, expect.stringMatching(/^not JSON/)],
      [5, 'capture version 2 is not supported (this twhook reads v1)'],
      [6, 'not a JSON object'],
      [7, 'no "url"'],
      [8, 'b'],
    ]);
    expect(items.every((i) => i.file === path)).toBe(true);
  });

  it('streams: records that cross read chunks, multi-byte characters split across chunks, a BOM', async () => {
    const path = join(tempDir(), 'c.jsonl');
    const records = Array.from({ length: 400 }, (_, i) => record(`r${i}`, { body: `Body=${'é😀'.repeat(i * 7)}` }));
    writeFileSync(path, '\uFEFF' + records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const items = await all(path);
    expect(items.map((i) => i.record?.body)).toEqual(records.map((r) => r.body));
  });

  it('skips a line longer than the limit and reads the next', async () => {
    const path = join(tempDir(), 'c.jsonl');
    writeFileSync(
      path,
      [JSON.stringify(record('a', { body: 'x'.repeat(600_000) })), JSON.stringify(record('b'))].join('\n'),
    );
    const items = await all(path, { maxRecordChars: 100_000 });
    expect(items.map((i) => i.record?.id ?? i.error)).toEqual([
      expect.stringMatching(/line longer than 100000 bytes/),
      'b',
    ]);
  });

  it('reads named streams (stdin) and several sources in order', async () => {
    const path = join(tempDir(), 'c.jsonl');
    writeFileSync(path, JSON.stringify(record('file')) + '\n');
    const stream = Readable.from([
      Buffer.from(JSON.stringify(record('stdin')).slice(0, 10)),
      Buffer.from(JSON.stringify(record('stdin')).slice(10) + '\n'),
    ]);
    const items = await all([{ name: '-', stream }, path]);
    expect(items.map((i) => [i.file, i.record?.id])).toEqual([
      ['-', 'stdin'],
      [path, 'file'],
    ]);
  });

  it('an unreadable file is a CaptureFileError, not a bad line', async () => {
    await expect(all(join(tempDir(), 'missing.jsonl'))).rejects.toBeInstanceOf(CaptureFileError);
  });
});

describe('readCaptures: HAR 1.2', () => {
  const har = (entries: unknown[]) => ({
    log: { version: '1.2', creator: { name: 'devtools', version: '1' }, pages: [{ id: 'p' }], entries },
  });
  const entry = (extra: Record<string, unknown> = {}) => ({
    startedDateTime: '2026-11-27T10:00:00.000Z',
    time: 41.5,
    request: {
      method: 'post',
      url: 'https://abc123.ngrok.app/sms',
      headers: [
        { name: ':authority', value: 'abc123.ngrok.app' },
        { name: 'Content-Type', value: 'application/x-www-form-urlencoded' },
        { name: 'X-Twilio-Signature', value: 'sig=' },
        { name: 'X-Forwarded-For', value: '1.1.1.1' },
        { name: 'X-Forwarded-For', value: '2.2.2.2' },
      ],
      postData: { mimeType: 'application/x-www-form-urlencoded', text: 'Body=Hi+%7B%22x%22%3A%5B1%5D%7D' },
    },
    response: {
      status: 200,
      headers: [{ name: 'Content-Type', value: 'text/xml' }],
      content: { text: '<Response/>', mimeType: 'text/xml' },
    },
    ...extra,
  });

  it('streams entries (pretty-printed or on one line) into records', async () => {
    const dir = tempDir();
    for (const [name, text] of [
      ['pretty.har', JSON.stringify(har([entry(), entry({ _id: 'x2' })]), null, 2)],
      ['flat.har', JSON.stringify(har([entry(), entry({ _id: 'x2' })]))],
    ] as const) {
      writeFileSync(join(dir, name), text);
      const items = await all(join(dir, name));
      expect(items).toHaveLength(2);
      expect(items[0]!.record).toEqual({
        v: 1,
        id: 'har-1',
        receivedAt: '2026-11-27T10:00:00.000Z',
        method: 'POST',
        url: 'https://abc123.ngrok.app/sms',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': 'sig=',
          'x-forwarded-for': ['1.1.1.1', '2.2.2.2'],
        },
        body: 'Body=Hi+%7B%22x%22%3A%5B1%5D%7D',
        response: { status: 200, headers: { 'content-type': 'text/xml' }, body: '<Response/>', ms: 41.5 },
      });
      expect(items[1]!.record!.id).toBe('x2');
    }
  });

  it('re-encodes postData.params when the text was not exported; base64 bodies stay bytes', async () => {
    const path = join(tempDir(), 'p.har');
    const params = entry();
    (params.request as { postData: unknown }).postData = {
      mimeType: 'application/x-www-form-urlencoded',
      params: [
        { name: 'Body', value: 'a b' },
        { name: 'From', value: '+1555' },
      ],
    };
    const b64 = entry();
    (b64.request as { postData: unknown }).postData = {
      mimeType: 'application/json',
      text: Buffer.from([0xff, 0x00]).toString('base64'),
      encoding: 'base64',
    };
    writeFileSync(path, JSON.stringify(har([params, b64])));
    const items = await all(path);
    expect(items[0]!.record!.body).toBe('Body=a+b&From=%2B1555');
    expect(items[1]!.record!.bodyBase64).toBe('/wA=');
  });

  it('reports a bad entry and a truncated file, keeping the good entries', async () => {
    const path = join(tempDir(), 'bad.har');
    const text = JSON.stringify(har([entry(), { request: { method: 'POST' } }, entry()]));
    writeFileSync(path, text.slice(0, -40));
    const items = await all(path);
    expect(items[0]!.record).toBeDefined();
    expect(items[1]!.error).toMatch(/HAR entry 2: HAR request without a url/);
    expect(items.at(-1)!.error).toMatch(/ends early/);
  });

  it('round-trips through toHar', async () => {
    const path = join(tempDir(), 'out.har');
    const records = [
      record('a'),
      record('b', {
        bodyBase64: Buffer.from([0xe9]).toString('base64'),
        body: undefined,
        response: { status: 204, ms: 3 },
      }),
    ];
    writeFileSync(path, JSON.stringify(toHar(records)));
    const items = await all(path);
    expect(items.map((i) => i.record)).toEqual([
      { ...records[0], headers: records[0]!.headers },
      {
        v: 1,
        id: 'b',
        receivedAt: records[1]!.receivedAt,
        method: 'POST',
        url: records[1]!.url,
        headers: records[1]!.headers,
        bodyBase64: '6Q==',
        response: { status: 204, headers: {}, ms: 3 },
      },
    ]);
  });
});
