import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../src/capture/format.js';
import { toHar } from '../../src/capture/har.js';
import { encodeForm } from '../../src/webhooks/form.js';
import { signRequest } from '../../src/webhooks/signature.js';
import { runCli, tempDir } from '../support/run-cli.js';

const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const SECONDARY = 'c0ffeec0ffeec0ffeec0ffeec0ffee00';
const PUBLIC = 'https://abc123.ngrok.app/sms';
const SMS: Array<[string, string]> = [
  ['MessageSid', 'SM0123456789abcdef0123456789abcdef'],
  ['SmsStatus', 'received'],
  ['Body', 'Hello'],
  ['From', '+15551234567'],
  ['To', '+15017122661'],
  ['NumMedia', '0'],
];
const BODY = encodeForm(SMS);

function capture(
  id: string,
  options: {
    url?: string;
    signedFor?: string;
    token?: string;
    body?: string;
    headers?: Record<string, string>;
    unsigned?: boolean;
  } = {},
): CaptureRecord {
  const url = options.url ?? PUBLIC;
  const body = options.body ?? BODY;
  const signature = signRequest({
    authToken: options.token ?? TOKEN,
    url: options.signedFor ?? url,
    body: BODY,
  }).signature;
  return {
    v: 1,
    id,
    receivedAt: '2026-11-27T10:00:00.000Z',
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(options.unsigned ? {} : { 'x-twilio-signature': signature }),
      ...options.headers,
    },
    body,
  };
}

function file(records: Array<CaptureRecord | string>, name = 'c.jsonl'): string {
  const path = join(tempDir(), name);
  writeFileSync(path, records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
  return path;
}

interface Row {
  id?: string;
  valid?: boolean;
  verdict?: string;
  reason?: string | null;
  kind?: string;
  tokenIndex?: number;
  error?: string;
  line?: number;
  summary?: Record<string, unknown>;
}

describe('twhook verify <captures>', () => {
  it('exits 0 when every request is valid, with kind and verdict per request', async () => {
    const path = file([capture('a'), capture('b')]);
    const r = await runCli(['verify', path, '--auth-token', TOKEN]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^a\tinbound-sms\tvalid\t\+1555… → \+1501…: Hello$/),
      expect.stringMatching(/^b\tinbound-sms\tvalid\t/),
    ]);
    expect(r.stderr).toContain('2 requests: 2 valid, 0 invalid, 0 unsigned');
  });

  it('--json: one object per request with id, valid, verdict, reason, kind; then a summary', async () => {
    const path = file([
      capture('ok'),
      capture('proto', {
        url: 'http://abc123.ngrok.app/sms',
        signedFor: PUBLIC,
        headers: { 'x-forwarded-proto': 'https' },
      }),
      capture('nosig', { unsigned: true }),
    ]);
    const r = await runCli(['verify', path, '--auth-token', TOKEN, '--json']);
    expect(r.code).toBe(1);
    const rows = r.json() as Row[];
    expect(rows.slice(0, 3)).toEqual([
      expect.objectContaining({
        id: 'ok',
        valid: true,
        verdict: 'valid',
        reason: null,
        kind: 'inbound-sms',
        tokenIndex: 1,
      }),
      expect.objectContaining({
        id: 'proto',
        valid: false,
        verdict: 'invalid',
        kind: 'inbound-sms',
        reason: expect.stringMatching(
          /^signed for https:\/\/abc123\.ngrok\.app\/sms; your app saw http:\/\/abc123\.ngrok\.app\/sms - trust X-Forwarded-Proto/,
        ),
      }),
      expect.objectContaining({ id: 'nosig', valid: false, verdict: 'unsigned' }),
    ]);
    expect(rows[3]).toEqual({
      summary: expect.objectContaining({ total: 3, valid: 1, invalid: 1, unsigned: 1, malformed: 0, ok: false }),
    });
    expect(r.stdout).not.toContain(TOKEN);
  });

  it('unsigned requests fail the run unless --allow-unsigned', async () => {
    const path = file([capture('ok'), capture('nosig', { unsigned: true })]);
    expect((await runCli(['verify', path, '--auth-token', TOKEN])).code).toBe(1);
    const allowed = await runCli(['verify', path, '--auth-token', TOKEN, '--allow-unsigned']);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toContain('1 unsigned (allowed)');
  });

  it('reports a malformed line as file:line, checks the others, and exits 1', async () => {
    const path = file([capture('a'), '{"broken":', capture('b')]);
    const r = await runCli(['verify', path, '--auth-token', TOKEN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path}:2: not JSON`);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]),
    ).toEqual(['a', 'b']);
    const json = (await runCli(['verify', path, '--auth-token', TOKEN, '--json'])).json() as Row[];
    expect(json[1]).toMatchObject({ line: 2, error: expect.stringMatching(/^not JSON/) });
  });

  it('accepts several tokens and says which one matched by position', async () => {
    const path = file([capture('old', { token: TOKEN }), capture('new', { token: SECONDARY })]);
    const r = await runCli(['verify', path, '--auth-token', TOKEN, '--auth-token', SECONDARY, '--json']);
    expect(r.code).toBe(0);
    const rows = r.json() as Row[];
    expect(rows.map((x) => x.tokenIndex)).toEqual([1, 2, undefined]);
    expect(r.stdout).not.toContain(SECONDARY);
    expect((await runCli(['verify', path, '--auth-token', TOKEN])).code).toBe(1);
  });

  it('--public-url-base verifies captures recorded behind a proxy as if received there', async () => {
    const path = file([
      capture('local', { url: 'http://localhost:3000/sms?x=1', signedFor: 'https://abc123.ngrok.app/sms?x=1' }),
    ]);
    const plain = await runCli(['verify', path, '--auth-token', TOKEN, '--json']);
    expect(plain.code).toBe(1);
    const rebased = await runCli([
      'verify',
      path,
      '--auth-token',
      TOKEN,
      '--public-url-base',
      'https://abc123.ngrok.app',
    ]);
    expect(rebased.code).toBe(0);
  });

  it('a relative captured url asks for --public-url-base', async () => {
    const path = file([capture('rel', { url: '/sms', signedFor: PUBLIC })]);
    const r = await runCli(['verify', path, '--auth-token', TOKEN, '--json']);
    expect((r.json() as Row[])[0]!.reason).toMatch(/not absolute: .*--public-url-base/);
    expect(
      (await runCli(['verify', path, '--auth-token', TOKEN, '--public-url-base', 'https://abc123.ngrok.app'])).code,
    ).toBe(0);
  });

  it('--strict accepts only the exact string, and the disagreement is shown', async () => {
    const received = "https://abc123.ngrok.app/sms?name=O'Hara";
    const path = file([capture('q', { url: received, signedFor: 'https://abc123.ngrok.app/sms?name=O%27Hara' })]);
    const sdk = await runCli(['verify', path, '--auth-token', TOKEN]);
    expect(sdk.code).toBe(0);
    expect(sdk.stdout).toContain('SDK and strict disagree');
    expect(sdk.stderr).toContain('1 where the SDK and --strict disagree');
    const strict = await runCli(['verify', path, '--auth-token', TOKEN, '--strict', '--json']);
    expect(strict.code).toBe(1);
    expect((strict.json() as Row[])[0]).toMatchObject({
      valid: false,
      sdkValid: true,
      strictValid: false,
      disagreement: expect.any(String),
    });
  });

  it('prints an aligned table with a header on a terminal', async () => {
    const path = file([capture('a'), capture('slash', { url: `${PUBLIC}/`, signedFor: PUBLIC })]);
    const r = await runCli(['verify', path, '--auth-token', TOKEN, '--no-color'], { tty: true });
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+KIND\s+VERDICT\s+DETAIL$/);
    expect(lines[2]).toMatch(
      /^slash\s+inbound-sms\s+invalid\s+signed for https:\/\/abc123\.ngrok\.app\/sms; your app saw .*trailing slash/,
    );
    expect(lines[1]!.indexOf('inbound-sms')).toBe(lines[2]!.indexOf('inbound-sms'));
  });

  it('reads HAR files', async () => {
    const dir = tempDir();
    const path = join(dir, 'ngrok.har');
    writeFileSync(
      path,
      JSON.stringify(
        toHar([capture('h1'), capture('h2', { url: 'http://abc123.ngrok.app/sms', signedFor: PUBLIC })]),
        null,
        2,
      ),
    );
    const r = await runCli(['verify', path, '--auth-token', TOKEN, '--json']);
    expect(r.code).toBe(1);
    expect((r.json() as Row[]).slice(0, 2).map((x) => [x.id, x.verdict])).toEqual([
      ['h1', 'valid'],
      ['h2', 'invalid'],
    ]);
  });

  it('checks non-UTF-8 bodies from their bytes', async () => {
    const bytes = Buffer.concat([Buffer.from('{"note":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const { createHash } = await import('node:crypto');
    const url = `https://abc123.ngrok.app/events?bodySHA256=${createHash('sha256').update(bytes).digest('hex')}`;
    const signature = signRequest({ authToken: TOKEN, url, params: [] }).signature;
    const record: CaptureRecord = {
      v: 1,
      id: 'bin',
      receivedAt: '',
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', 'x-twilio-signature': signature },
      bodyBase64: bytes.toString('base64'),
    };
    const r = await runCli(['verify', file([record]), '--auth-token', TOKEN, '--json']);
    expect((r.json() as Row[])[0]).toMatchObject({ id: 'bin', valid: true });
    expect(r.code).toBe(0);
  });

  it('checks repeated parameters', async () => {
    const pairs: Array<[string, string]> = [...SMS, ['MediaUrl', 'https://x/2'], ['MediaUrl', 'https://x/1']];
    const signed = signRequest({ authToken: TOKEN, url: PUBLIC, params: pairs });
    const record: CaptureRecord = {
      ...capture('rep'),
      body: signed.body,
      headers: { 'x-twilio-signature': signed.signature },
    };
    expect((await runCli(['verify', file([record]), '--auth-token', TOKEN])).code).toBe(0);
  });

  it('--junit writes a report with a failure per invalid request', async () => {
    const dir = tempDir();
    const path = file([
      capture('ok'),
      capture('bad', { url: `${PUBLIC}?x=1`, signedFor: PUBLIC }),
      capture('nosig', { unsigned: true }),
      'garbage',
    ]);
    const report = join(dir, 'out', '..', 'junit.xml');
    const r = await runCli(['verify', path, '--auth-token', TOKEN, '--junit', report, '--allow-unsigned']);
    expect(r.code).toBe(1);
    const xml = readFileSync(report, 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(xml).toContain('<testsuite name="twhook verify" tests="4" failures="1" errors="1" skipped="1">');
    expect(xml).toContain('<testcase classname="' + path + '" name="ok inbound-sms"/>');
    expect(xml).toMatch(
      /<testcase classname="[^"]+" name="bad inbound-sms"><failure message="signed for https:\/\/abc123\.ngrok\.app\/sms; [^"]*without the query string/,
    );
    expect(xml).toMatch(/name="nosig inbound-sms"><skipped /);
    expect(xml).toMatch(/name="[^"]+:4"><error message="not JSON/);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
  });

  it('Ctrl-C stops with exit 130 and leaves no half-written report', async () => {
    const dir = tempDir();
    const path = file([capture('a'), capture('b')]);
    const controller = new AbortController();
    controller.abort();
    const r = await runCli(['verify', path, '--auth-token', TOKEN, '--junit', join(dir, 'junit.xml')], {
      signal: controller.signal,
    });
    expect(r.code).toBe(130);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('exit 2 for an unreadable file or bad usage', async () => {
    const missing = await runCli(['verify', join(tempDir(), 'nope.jsonl'), '--auth-token', TOKEN]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.jsonl: no such file/);
    expect((await runCli(['verify', '--auth-token', TOKEN])).code).toBe(2);
    expect((await runCli(['verify', file([capture('a')])])).stderr).toMatch(/signatures need the auth token/);
    expect((await runCli(['verify', file([capture('a')]), '--url', PUBLIC, '--auth-token', TOKEN])).code).toBe(2);
    expect(
      (await runCli(['verify', file([capture('a')]), '--public-url-base', 'abc', '--auth-token', TOKEN])).code,
    ).toBe(2);
  });

  it('reads captures from stdin with -', async () => {
    const r = await runCli(['verify', '-', '--auth-token', TOKEN], { stdin: JSON.stringify(capture('piped')) + '\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^piped\tinbound-sms\tvalid/);
  });
});

describe('twhook verify --url (one request)', () => {
  const signature = signRequest({ authToken: TOKEN, url: PUBLIC, body: BODY }).signature;

  it('exit 0 when valid, 1 when invalid with the reason; --json gives valid and reason', async () => {
    const ok = await runCli([
      'verify',
      '--url',
      PUBLIC,
      '--signature',
      signature,
      '--body',
      BODY,
      '--auth-token',
      TOKEN,
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^valid/);
    const bad = await runCli([
      'verify',
      '--url',
      'http://abc123.ngrok.app/sms',
      '--signature',
      signature,
      '--body',
      BODY,
      '--auth-token',
      TOKEN,
      '--json',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.json()[0]).toMatchObject({
      valid: false,
      verdict: 'invalid',
      reason: expect.stringMatching(/^signed for https:\/\/abc123\.ngrok\.app\/sms; your app saw http:/),
      kind: 'inbound-sms',
    });
  });

  it('reads the body from a file or stdin', async () => {
    const bodyFile = join(tempDir(), 'body.txt');
    writeFileSync(bodyFile, BODY);
    expect(
      (
        await runCli([
          'verify',
          '--url',
          PUBLIC,
          '--signature',
          signature,
          '--body-file',
          bodyFile,
          '--auth-token',
          TOKEN,
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await runCli(['verify', '--url', PUBLIC, '--signature', signature, '--body-file', '-', '--auth-token', TOKEN], {
          stdin: BODY,
        })
      ).code,
    ).toBe(0);
  });

  it('JSON requests', async () => {
    const body = '[{"specversion":"1.0","type":"com.twilio.messaging.message.delivered","id":"EZ1"}]';
    const signed = signRequest({ authToken: TOKEN, url: 'https://abc123.ngrok.app/events', body, contentType: 'json' });
    const r = await runCli([
      'verify',
      '--url',
      signed.url,
      '--signature',
      signed.signature,
      '--body',
      body,
      '--content-type',
      'json',
      '--auth-token',
      TOKEN,
      '--json',
    ]);
    expect(r.json()[0]).toMatchObject({ valid: true, kind: 'event-streams' });
  });

  it('never prints a basic-auth password given in the URL', async () => {
    const url = 'https://twilio:pa55word-x@abc123.ngrok.app/sms';
    const r = await runCli(['verify', '--url', url, '--signature', signature, '--body', BODY, '--auth-token', TOKEN]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('twilio:***@');
    expect(r.stdout + r.stderr).not.toContain('pa55word-x');
  });

  it('bad usage exits 2', async () => {
    expect((await runCli(['verify', '--url', PUBLIC, '--auth-token', TOKEN])).stderr).toMatch(
      /--url needs --signature/,
    );
    expect((await runCli(['verify', '--url', 'not a url', '--signature', 'x', '--auth-token', TOKEN])).code).toBe(2);
    expect(
      (await runCli(['verify', '--url', PUBLIC, '--signature', 'x', '--content-type', 'xml', '--auth-token', TOKEN]))
        .code,
    ).toBe(2);
    expect(
      (
        await runCli([
          'verify',
          '--url',
          PUBLIC,
          '--signature',
          'x',
          '--body',
          'a',
          '--body-file',
          'b',
          '--auth-token',
          TOKEN,
        ])
      ).code,
    ).toBe(2);
  });

  it('options for capture files are refused with --url or --endpoint, not ignored', async () => {
    const one = ['verify', '--url', PUBLIC, '--signature', 'x', '--body', 'a', '--auth-token', TOKEN];
    const junit = await runCli([...one, '--junit', 'out.xml']);
    expect(junit.code).toBe(2);
    expect(junit.stderr).toBe('error: --junit is for capture files: drop it, or give the captures to verify\n');
    expect((await runCli([...one, '--public-url-base', 'https://x.example'])).stderr).toMatch(
      /^error: --public-url-base is for capture files/,
    );
    expect((await runCli([...one, '--allow-unsigned'])).stderr).toMatch(
      /^error: --allow-unsigned is for capture files/,
    );
    const probe = await runCli([
      'verify',
      '--endpoint',
      'http://127.0.0.1:9/sms',
      '--junit',
      'out.xml',
      '--auth-token',
      TOKEN,
    ]);
    expect(probe.code).toBe(2);
    const publicUrl = await runCli([...one, '--public-url', 'https://x.example/sms']);
    expect(publicUrl.stderr).toBe(
      'error: --public-url is for --endpoint (the URL to sign for); for capture files use --public-url-base\n',
    );
  });

  it('a --junit path in a missing folder says so in words, not as ENOENT', async () => {
    const junit = join(tempDir(), 'no-such-folder', 'junit.xml');
    const r = await runCli(['verify', file([capture('ok')]), '--auth-token', TOKEN, '--junit', junit]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: cannot write --junit ${junit}: its folder does not exist (create it, or give another path)\n`,
    );
  });

  it('a missing --body-file says so in words, not as ENOENT', async () => {
    const cwd = tempDir();
    const r = await runCli(
      ['verify', '--url', PUBLIC, '--signature', 'x', '--body-file', 'nope.txt', '--auth-token', TOKEN],
      { cwd },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: cannot read --body-file nope.txt: no such file (give the file with the request body, or - for stdin)\n',
    );
  });
});

describe('signing with several --auth-token', () => {
  it('sign and trigger say they sign with the first one instead of dropping the others unseen', async () => {
    const signed = await runCli([
      'sign',
      '--url',
      PUBLIC,
      '--param',
      'Body=Hi',
      '--auth-token',
      TOKEN,
      '--auth-token',
      'b'.repeat(32),
    ]);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toBe(
      (await runCli(['sign', '--url', PUBLIC, '--param', 'Body=Hi', '--auth-token', TOKEN])).stdout,
    );
    expect(signed.stderr).toBe(
      'warning: signing with the first of the 2 auth tokens given (several are for checking signatures: verify, dev)\n',
    );
    const triggered = await runCli([
      'trigger',
      'sms',
      '--to',
      'http://127.0.0.1:9/sms',
      '--dry-run',
      '--auth-token',
      TOKEN,
      '--auth-token',
      'b'.repeat(32),
    ]);
    expect(triggered.code).toBe(0);
    expect(triggered.stderr).toContain('warning: signing with the first of the 2 auth tokens given');
  });
});

describe('twhook sign', () => {
  it('prints the signature that verify accepts', async () => {
    const r = await runCli([
      'sign',
      '--url',
      PUBLIC,
      ...SMS.flatMap(([k, v]) => ['--param', `${k}=${v}`]),
      '--auth-token',
      TOKEN,
    ]);
    expect(r.code).toBe(0);
    const signature = r.stdout.trim();
    expect(signature).toBe(signRequest({ authToken: TOKEN, url: PUBLIC, params: SMS }).signature);
    expect(
      (await runCli(['verify', '--url', PUBLIC, '--signature', signature, '--body', BODY, '--auth-token', TOKEN])).code,
    ).toBe(0);
  });

  it('JSON: the signature and the URL with bodySHA256; --json', async () => {
    const body = '{"a":1}';
    const r = await runCli([
      'sign',
      '--url',
      'https://abc123.ngrok.app/events',
      '--content-type',
      'json',
      '--body',
      body,
      '--auth-token',
      TOKEN,
    ]);
    const [signature, url] = r.stdout.trim().split('\n');
    expect(url).toMatch(/^https:\/\/abc123\.ngrok\.app\/events\?bodySHA256=[0-9a-f]{64}$/);
    expect(
      (await runCli(['verify', '--url', url!, '--signature', signature!, '--body', body, '--auth-token', TOKEN])).code,
    ).toBe(0);
    const json = await runCli([
      'sign',
      '--url',
      'https://abc123.ngrok.app/events',
      '--content-type',
      'json',
      '--body',
      body,
      '--auth-token',
      TOKEN,
      '--json',
    ]);
    expect(json.json()[0]).toEqual({ signature, url, contentType: 'json', body });
  });

  it('repeated --param names, --body, and usage errors', async () => {
    const repeated = await runCli([
      'sign',
      '--url',
      PUBLIC,
      '--param',
      'Tag=a',
      '--param',
      'Tag=b',
      '--auth-token',
      TOKEN,
      '--json',
    ]);
    expect(repeated.json()[0]).toMatchObject({
      body: 'Tag=a&Tag=b',
      signature: signRequest({ authToken: TOKEN, url: PUBLIC, params: { Tag: ['a', 'b'] } }).signature,
    });
    const raw = await runCli(['sign', '--url', PUBLIC, '--body', 'Tag=a&Tag=b', '--auth-token', TOKEN]);
    expect(raw.stdout.trim()).toBe((repeated.json()[0] as { signature: string }).signature);
    expect((await runCli(['sign', '--url', PUBLIC, '--param', 'novalue', '--auth-token', TOKEN])).code).toBe(2);
    expect(
      (await runCli(['sign', '--url', PUBLIC, '--param', 'a=1', '--body', 'b=2', '--auth-token', TOKEN])).code,
    ).toBe(2);
    expect((await runCli(['sign', '--url', 'ftp://x', '--auth-token', TOKEN])).code).toBe(2);
    expect((await runCli(['sign', '--param', 'a=1', '--auth-token', TOKEN])).code).toBe(2);
    const noToken = await runCli(['sign', '--url', PUBLIC], { env: { TWILIO_API_KEY: 'SK' + '0'.repeat(32) } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/an API key cannot sign webhooks/);
  });

  it('drops the #fragment and says so', async () => {
    const r = await runCli(['sign', '--url', `${PUBLIC}#rc=3`, '--param', 'a=1', '--auth-token', TOKEN]);
    expect(r.stdout.trim()).toBe(signRequest({ authToken: TOKEN, url: PUBLIC, params: [['a', '1']] }).signature);
    expect(r.stderr).toMatch(/fragment is not part of what Twilio signs/);
  });
});
