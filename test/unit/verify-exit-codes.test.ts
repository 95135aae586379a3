/**
 * `verify` never lets CI pass on nothing: an empty capture, a cut or hand-broken HAR, entries that
 * are not webhooks, and header names in another case.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../src/capture/format.js';
import { toHar } from '../../src/capture/har.js';
import { encodeForm } from '../../src/webhooks/form.js';
import { signRequest } from '../../src/webhooks/signature.js';
import { runCli, tempDir } from '../support/run-cli.js';

const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const PUBLIC = 'https://abc123.ngrok.app/sms';
const BODY = encodeForm([
  ['MessageSid', 'SM0123456789abcdef0123456789abcdef'],
  ['AccountSid', 'AC0123456789abcdef0123456789abcdef'],
  ['Body', 'Hello'],
  ['From', '+15551234567'],
  ['To', '+15017122661'],
]);

function signed(id: string, headerName = 'x-twilio-signature'): CaptureRecord {
  return {
    v: 1,
    id,
    receivedAt: '2026-11-27T10:00:00.000Z',
    method: 'POST',
    url: PUBLIC,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      [headerName]: signRequest({ authToken: TOKEN, url: PUBLIC, body: BODY }).signature,
    },
    body: BODY,
  };
}

const favicon: CaptureRecord = {
  v: 1,
  id: 'favicon',
  receivedAt: '',
  method: 'GET',
  url: 'https://abc123.ngrok.app/favicon.ico',
  headers: { 'user-agent': 'Mozilla/5.0' },
};

function write(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

const verify = (...argv: string[]) => runCli(['verify', ...argv, '--auth-token', TOKEN, '--no-color']);

describe('verify: nothing to verify is not a pass', () => {
  it('an empty capture exits 1 with "no requests to verify" unless --allow-empty', async () => {
    const empty = write('empty.jsonl', '');
    const r = await verify(empty);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: no requests to verify: check the capture files, or pass --allow-empty if none is expected',
    );
    const allowed = await verify(empty, '--allow-empty');
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toContain('warning: no requests to verify');
    const json = await verify(write('empty.har', JSON.stringify(toHar([]))), '--json');
    expect(json.code).toBe(1);
    expect(json.json()).toEqual([{ summary: expect.objectContaining({ total: 0, ok: false, empty: true }) }]);
  });

  it('a truncated or unparsable HAR exits 1; an unreadable input exits 2', async () => {
    const whole = JSON.stringify(toHar([signed('a'), signed('b')]), null, 2);
    const cases = {
      cut: whole.slice(0, Math.floor(whole.length * 0.6)),
      garbage: '{"log": {"version": "1.2", "entries": [ nonsense ] }}',
      trailing: `${whole} trailing words`,
      missingComma: whole.replace(/\}\s*,\s*\{\s*"_id": "b"/, '} {"_id": "b"'),
    };
    expect(cases.missingComma).not.toBe(whole);
    for (const [what, text] of Object.entries(cases)) {
      const r = await verify(write(`${what}.har`, text));
      expect(r.code, what).toBe(1);
      expect(r.stderr, what).toMatch(/ends early \(truncated\?\)|not valid JSON around its entries|is not JSON/);
    }
    const folder = join(tempDir(), 'captures');
    mkdirSync(folder);
    expect((await verify(folder)).code).toBe(2);
    expect((await verify(join(folder, 'missing.har'))).code).toBe(2);
  });
});

describe('verify: which requests count', () => {
  it('a HAR entry that is not a Twilio webhook is counted as skipped, not failed as unsigned', async () => {
    const har = write('browser.har', JSON.stringify(toHar([signed('a'), favicon, signed('b')])));
    const r = await verify(har);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]),
    ).toEqual(['a', 'b']);
    expect(r.stderr).toContain('✓ 2 requests: 2 valid, 0 invalid, 0 unsigned; 1 skipped: not a Twilio webhook');
    const json = await verify(har, '--json');
    expect((json.json().at(-1) as { summary: Record<string, unknown> }).summary).toMatchObject({
      total: 2,
      valid: 2,
      skipped: 1,
    });
    // Only non-webhooks: nothing to verify.
    const none = await verify(write('only-favicon.har', JSON.stringify(toHar([favicon]))));
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no requests to verify (1 skipped: not a Twilio webhook)');
  });

  it('a HAR entry with a Twilio header or parameter but no signature is still unsigned', async () => {
    const unsigned: CaptureRecord = {
      ...signed('u'),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'i-twilio-idempotency-token': 'abc' },
    };
    const r = await verify(write('unsigned.har', JSON.stringify(toHar([unsigned]))));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^u\tinbound-sms\tunsigned/);
  });

  it('a JSONL capture from dev counts every request', async () => {
    const r = await verify(write('dev.jsonl', [signed('a'), favicon].map((x) => JSON.stringify(x)).join('\n') + '\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('2 requests: 1 valid, 0 invalid, 1 unsigned');
  });

  it('a hand-edited capture with a mixed-case X-Twilio-Signature header is read as signed', async () => {
    for (const name of ['X-Twilio-Signature', 'x-TWILIO-signature']) {
      const r = await verify(write('edited.jsonl', JSON.stringify(signed('m', name)) + '\n'));
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(/^m\tinbound-sms\tvalid/);
    }
  });
});

describe('verify --strict: a URL that differs only in case', () => {
  it('gives one explanation, consistent with the note on the SDK and strict verdicts', async () => {
    const signature = signRequest({ authToken: TOKEN, url: PUBLIC, body: 'Body=Hi' }).signature;
    const host = await verify(
      '--url',
      'https://ABC123.ngrok.app/sms',
      '--signature',
      signature,
      '--body',
      'Body=Hi',
      '--strict',
      '--json',
    );
    expect(host.code).toBe(1);
    const out = host.json()[0] as { reason: string; disagreement: string; sdkValid: boolean; strictValid: boolean };
    expect(out).toMatchObject({ sdkValid: true, strictValid: false });
    expect(out.reason).toContain(
      `signed for ${PUBLIC}; your app saw https://ABC123.ngrok.app/sms - the URL differs only in the case of its scheme or host`,
    );
    expect(out.reason).not.toContain('no nearby URL');
    expect(out.disagreement).toContain(PUBLIC);
    const path = await verify(
      '--url',
      'https://abc123.ngrok.app/SMS',
      '--signature',
      signature,
      '--body',
      'Body=Hi',
      '--strict',
    );
    expect(path.code).toBe(1);
    expect(path.stdout).toContain(
      `signed for ${PUBLIC}; your app saw https://abc123.ngrok.app/SMS - the path differs only in case`,
    );
  });
});
