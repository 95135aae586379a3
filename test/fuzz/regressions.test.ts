/**
 * Inputs the fuzz tests (inputs.test.ts, commands.test.ts) found that broke twhook, kept as plain
 * examples so they stay fixed whatever seed the fuzzers run with.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCaptures } from '../../src/capture/reader.js';
import type { CaptureItem } from '../../src/capture/format.js';
import { encodeForm, parseForm } from '../../src/webhooks/form.js';
import { signRequest } from '../../src/webhooks/signature.js';
import { EXPLAIN_MAX_BODY, verifyAndExplain as verifyRequest } from '../../src/webhooks/signature-explain.js';
import { parseXml } from '../../src/webhooks/twiml.js';
import { runCli, tempDir } from '../support/run-cli.js';

async function readText(text: string): Promise<CaptureItem[]> {
  const items: CaptureItem[] = [];
  for await (const item of readCaptures({ name: 'x.har', stream: Readable.from([text]) })) items.push(item);
  return items;
}

describe('fuzz findings', () => {
  it('a HAR entry whose exported params hold a lone surrogate is read (as U+FFFD), not called "not JSON"', async () => {
    const har =
      '{"log":{"entries":[{"request":{"url":"https://a.example/sms","postData":{"params":[{"name":"\\ud800","value":"\\udfff"},{"name":"To","value":"+1"}]}}}]}}';
    const [item] = await readText(har);
    expect(item?.error).toBeUndefined();
    expect(item?.record?.body).toBe('%EF%BF%BD=%EF%BF%BD&To=%2B1');
    expect(parseForm(item!.record!.body!)).toEqual({ '\ufffd': '\ufffd', To: '+1' });
  });

  it('a HAR entry with a null in postData.params is read', async () => {
    const [item] = await readText(
      '{"log":{"entries":[{"request":{"url":"https://a.example/sms","postData":{"params":[null,{"name":"A","value":"1"}]}}}]}}',
    );
    expect(item?.record?.body).toBe('=&A=1');
  });

  it('a HAR entry that is JSON but cannot be converted says why, not "not JSON"', async () => {
    const [item] = await readText('{"log":{"entries":[{"request":{"url":""}}]}}');
    expect(item?.error).toBe('HAR entry 1: HAR request without a url');
  });

  it.each([
    ['a CRLF line exactly at the length limit', Buffer.from('-2.497447591077767e-206\r\n'), 23, [23 + 1]],
    ['a line with leading spaces just over the limit', Buffer.from('   {"v":1}\n'), 8, [4]],
    ['a file that is only a BOM, split inside it', Buffer.from('\ufeff'), 1, [1]],
  ])('%s reads the same from a file and from any chunks of a stream', async (_name, bytes, max, cuts) => {
    const dir = tempDir('twhook-regression-');
    writeFileSync(join(dir, 'c.jsonl'), bytes);
    const read = async (source: Parameters<typeof readCaptures>[0]) => {
      const items: CaptureItem[] = [];
      for await (const item of readCaptures(source, { maxRecordChars: max }))
        items.push({ ...item, file: '' } as CaptureItem);
      return items;
    };
    const chunks = [bytes.subarray(0, cuts[0]), bytes.subarray(cuts[0])].filter((b) => b.length);
    expect(await read({ name: 'stream', stream: Readable.from(chunks) })).toEqual(await read(join(dir, 'c.jsonl')));
  });

  it('encodeForm encodes lone surrogates as U+FFFD instead of throwing URIError', () => {
    expect(encodeForm([['\ud800', 'a\udc00b']])).toBe('%EF%BF%BD=a%EF%BF%BDb');
  });

  it.each(['http://a.aa?a?', 'http://a.aa??', 'https://a.example/sms?x=1?'])(
    'a JSON request signed for %s carries a bodySHA256 that verifies',
    (url) => {
      const signed = signRequest({
        authToken: '12345678901234567890123456789012',
        url,
        body: '{"a":1}',
        contentType: 'json',
      });
      expect(new URL(signed.url).searchParams.get('bodySHA256')).toMatch(/^[0-9a-f]{64}$/);
      const verdict = verifyRequest({
        url: signed.url,
        signature: signed.signature,
        body: signed.body,
        authTokens: ['12345678901234567890123456789012'],
        contentType: 'json',
        strict: true,
      });
      expect(verdict.valid).toBe(true);
      expect(verdict.sdkValid).toBe(true);
    },
  );

  it('attributes named like Object.prototype members (valueOf, constructor) are not "repeated"', () => {
    const parsed = parseXml('<Response><Say valueOf="1" constructor="2" toString="3">Hi</Say></Response>');
    expect(parsed.ok).toBe(true);
    expect(parseXml('<Say voice="a" voice="b"/>')).toMatchObject({
      ok: false,
      error: expect.stringContaining('attribute voice repeated'),
    });
  });
});

describe('hostile sizes', () => {
  it('a forged 1 MiB form is judged without the explanation search (seconds of CPU per request at the dev proxy)', () => {
    const body = Array.from({ length: 20_000 }, (_, i) => `P${i}=${'x'.repeat(45)}`).join('&');
    expect(body.length).toBeGreaterThan(EXPLAIN_MAX_BODY);
    const verdict = verifyRequest({
      url: 'https://a.example.com:8443/sms?x=1&y=2#ct=1000',
      signature: 'forged',
      body,
      authTokens: ['t1', 't2', 't3'],
      headers: { host: 'localhost:3000', 'x-forwarded-host': 'b.example' },
    });
    expect(verdict).toMatchObject({ verdict: 'invalid', valid: false });
    expect(verdict.reason).toMatch(/not searched for an explanation/);
    // A body of a webhook's size is still explained.
    const small = verifyRequest({
      url: 'https://a.example.com/sms',
      signature: 'forged',
      body: 'Body=hi',
      authTokens: ['t1'],
    });
    expect(small.reason).toMatch(/no nearby URL/);
  });
});

describe('an --api-url that is not the Twilio API', () => {
  it.each([
    ['subscriptions', 'show', 'DF0123456789abcdef0123456789abcdef'],
    ['numbers', 'list'],
    ['sinks', 'list'],
    ['doctor'],
  ])(
    'twhook %s ...: exit 3 naming the server when it answers 200 with TwiML, not an unexpected failure',
    async (...argv) => {
      const server = createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'Content-Type': 'text/xml' });
        res.end('<Response><Message>ok</Message></Response>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const r = await runCli([...argv, '--api-url', url], {
          env: {
            TWILIO_ACCOUNT_SID: 'AC' + '0123456789abcdef'.repeat(2),
            TWILIO_AUTH_TOKEN: 'f00dfeedf00dfeedf00dfeedf00dfeed',
          },
        });
        expect(r.stderr).not.toContain('unexpected failure');
        if (argv[0] === 'doctor') {
          expect(r.code).toBe(1);
          expect(r.stderr + r.stdout).toContain('not JSON');
        } else {
          expect(r.code).toBe(3);
          expect(r.stderr).toMatch(
            new RegExp(
              `^error: ${url.replace(/\./g, '\\.')} \\(the --api-url / TWHOOK_API_URL server\\) answered GET \\S+ with HTTP 200 and a body that is not JSON`,
            ),
          );
          expect(r.stderr.trim().split('\n')).toHaveLength(1);
        }
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  );
});
