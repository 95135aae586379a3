/**
 * Inputs the fuzz tests (inputs.test.ts, commands.test.ts) found that broke twhook, kept as plain
 * examples so they stay fixed whatever seed the fuzzers run with.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCaptures } from '../../src/capture/reader.js';
import type { CaptureItem } from '../../src/capture/format.js';
import { encodeForm, parseForm } from '../../src/webhooks/form.js';
import { signRequest, verifyRequest } from '../../src/webhooks/signature.js';
import { parseXml } from '../../src/webhooks/twiml.js';

async function readText(text: string): Promise<CaptureItem[]> {
  const items: CaptureItem[] = [];
  for await (const item of readCaptures({ name: 'x.har', stream: Readable.from([text]) })) items.push(item);
  return items;
}

describe('fuzz findings', () => {
  it('a HAR entry whose exported params hold a lone surrogate is read (as U+FFFD), not called "not JSON"', async () => {
    const har = '{"log":{"entries":[{"request":{"url":"https://a.example/sms","postData":{"params":[{"name":"\\ud800","value":"\\udfff"},{"name":"To","value":"+1"}]}}}]}}';
    const [item] = await readText(har);
    expect(item?.error).toBeUndefined();
    expect(item?.record?.body).toBe('%EF%BF%BD=%EF%BF%BD&To=%2B1');
    expect(parseForm(item!.record!.body!)).toEqual({ '\ufffd': '\ufffd', To: '+1' });
  });

  it('a HAR entry with a null in postData.params is read', async () => {
    const [item] = await readText('{"log":{"entries":[{"request":{"url":"https://a.example/sms","postData":{"params":[null,{"name":"A","value":"1"}]}}}]}}');
    expect(item?.record?.body).toBe('=&A=1');
  });

  it('a HAR entry that is JSON but cannot be converted says why, not "not JSON"', async () => {
    const [item] = await readText('{"log":{"entries":[{"request":{"url":""}}]}}');
    expect(item?.error).toBe('HAR entry 1: HAR request without a url');
  });

  it('encodeForm encodes lone surrogates as U+FFFD instead of throwing URIError', () => {
    expect(encodeForm([['\ud800', 'a\udc00b']])).toBe('%EF%BF%BD=a%EF%BF%BDb');
  });

  it.each(['http://a.aa?a?', 'http://a.aa??', 'https://a.example/sms?x=1?'])('a JSON request signed for %s carries a bodySHA256 that verifies', (url) => {
    const signed = signRequest({ authToken: '12345678901234567890123456789012', url, body: '{"a":1}', contentType: 'json' });
    expect(new URL(signed.url).searchParams.get('bodySHA256')).toMatch(/^[0-9a-f]{64}$/);
    const verdict = verifyRequest({ url: signed.url, signature: signed.signature, body: signed.body, authTokens: ['12345678901234567890123456789012'], contentType: 'json', strict: true });
    expect(verdict.valid).toBe(true);
    expect(verdict.sdkValid).toBe(true);
  });

  it('attributes named like Object.prototype members (valueOf, constructor) are not "repeated"', () => {
    const parsed = parseXml('<Response><Say valueOf="1" constructor="2" toString="3">Hi</Say></Response>');
    expect(parsed.ok).toBe(true);
    expect(parseXml('<Say voice="a" voice="b"/>')).toMatchObject({ ok: false, error: expect.stringContaining('attribute voice repeated') });
  });
});
