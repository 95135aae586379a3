import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../src/capture/index.js';
import { buildTrigger } from '../../src/trigger/build.js';
import { runCli, tempDir } from '../support/run-cli.js';
import { closedPort, useTwilioApp, type TwilioApp, type TwilioAppOptions } from '../support/twilio-app.js';

const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const env = { TWILIO_AUTH_TOKEN: TOKEN };
const PUBLIC = 'https://abc123.ngrok.app';
const NOW = new Date('2026-11-27T10:00:00.000Z');

const app = (options: Partial<TwilioAppOptions> = {}): Promise<TwilioApp> =>
  useTwilioApp({ authToken: TOKEN, ...options });

/**
 * Requests as `dev` captures them: signed by "Twilio" for the public URL, headers as received
 * (lower case, with the tunnel's Host and X-Forwarded-*), and the app's answer at the time.
 */
function captured(events: Array<[string, string, Record<string, string>?]>, publicBase = PUBLIC): CaptureRecord[] {
  const records: CaptureRecord[] = [];
  let n = 0;
  for (const [event, path, vars] of events) {
    const built = buildTrigger({
      event,
      to: `${publicBase}${path}`,
      authToken: TOKEN,
      now: NOW,
      vars,
      seed: `${event}-${n}`,
    });
    for (const { outgoing, request } of built.signed) {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(outgoing.headers)) headers[name.toLowerCase()] = String(value);
      const host = new URL(publicBase).host;
      Object.assign(headers, {
        host,
        'x-forwarded-proto': 'https',
        'x-forwarded-host': host,
        'x-forwarded-for': '54.172.60.1',
      });
      records.push({
        v: 1,
        id: `req_${String(n++).padStart(3, '0')}`,
        receivedAt: NOW.toISOString(),
        method: outgoing.method,
        url: outgoing.url,
        headers,
        body: outgoing.body as string | undefined,
        response: request.expectsTwiml
          ? {
              status: 200,
              headers: { 'content-type': 'text/xml' },
              body: '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Got it</Message></Response>',
              ms: 12,
            }
          : { status: 204, headers: {}, ms: 3 },
      });
    }
  }
  return records;
}

function captureFile(records: CaptureRecord[], extraLines: string[] = []): string {
  const path = join(tempDir(), 'capture.jsonl');
  writeFileSync(path, [...records.map((r) => JSON.stringify(r)), ...extraLines].join('\n') + '\n');
  return path;
}

const MIXED: Array<[string, string]> = [
  ['sms', '/sms'],
  ['message-status', '/status'],
  ['call', '/voice'],
  ['event-streams', '/events'],
];

interface ResultLine {
  id: string;
  kind: string;
  url: string;
  signing: string;
  signedFor: string | null;
  status: number | null;
  statusSame: boolean | null;
  bodySame: boolean | null;
  ok: boolean;
  reason?: string;
  error?: { code: string };
}
interface SummaryLine {
  summary: {
    total: number;
    sent: number;
    ok: number;
    failed: number;
    statusDiffers: number;
    bodyDiffers: number;
    signing: string;
  };
}

describe('twhook replay: the three signing modes against an app that validates like the twilio SDK', () => {
  it('by default signs each request again for the URL it is sent to', async () => {
    const a = await app();
    const file = captureFile(captured(MIXED));
    const r = await runCli(['replay', file, '--to', a.url, '--json'], { env });
    expect(r.code).toBe(0);
    expect(a.seen).toHaveLength(7);
    expect(a.seen.every((s) => s.valid)).toBe(true);
    // The tunnel's forwarding headers are not replayed: the app sees where it is.
    expect(
      a.seen.every((s) => s.headers['x-forwarded-host'] === undefined && s.headers.host === `127.0.0.1:${a.port}`),
    ).toBe(true);
    expect(a.seen.map((s) => s.path)).toEqual([
      '/sms',
      '/status',
      '/status',
      '/status',
      '/status',
      '/voice',
      '/events',
    ]);
    const lines = r.json() as Array<ResultLine | SummaryLine>;
    const results = lines.slice(0, -1) as ResultLine[];
    expect(results.map((l) => l.id)).toEqual([
      'req_000',
      'req_001',
      'req_002',
      'req_003',
      'req_004',
      'req_005',
      'req_006',
    ]);
    expect(results[6]!.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${a.port}/events\\?bodySHA256=[0-9a-f]{64}$`));
    expect(results.every((l) => l.signing === 'resign' && l.signedFor === l.url)).toBe(true);
    expect(lines[7]).toMatchObject({ summary: { total: 7, sent: 7, ok: 7, failed: 0, signing: 'resign' } });
  });

  it('reads a relative capture path from the folder the command runs in', async () => {
    const a = await app();
    const file = captureFile(captured([['sms', '/sms']]));
    const { dirname, basename } = await import('node:path');
    const r = await runCli(['replay', basename(file), '--to', a.url, '--json'], { env, cwd: dirname(file) });
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(a.seen).toHaveLength(1);
  });

  it('the captured signature alone is refused: the URL changed (the reason re-signing is the default)', async () => {
    const a = await app();
    const file = captureFile(captured([['sms', '/sms']]));
    // An app that does not trust X-Forwarded-* rebuilds http://<Host>/sms: Host is the public one, the scheme is not.
    const r = await runCli(['replay', file, '--to', a.url, '--keep-signature'], { env });
    expect(r.code).toBe(1);
    expect(a.seen[0]!.valid).toBe(false);
    expect(a.seen[0]!.url).toBe('http://abc123.ngrok.app/sms');
  });

  it('--keep-signature sets Host and X-Forwarded-*: an app rebuilding the original URL validates, no token needed', async () => {
    const a = await app({ trustProxy: true });
    const file = captureFile(captured(MIXED));
    const r = await runCli(['replay', file, '--to', a.url, '--keep-signature', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(a.seen).toHaveLength(7);
    for (const seen of a.seen) {
      expect(seen.valid).toBe(true);
      expect(seen.url.startsWith(`${PUBLIC}/`)).toBe(true);
      expect(seen.headers.host).toBe('abc123.ngrok.app');
      expect(seen.headers['x-forwarded-proto']).toBe('https');
    }
    const results = (r.json() as ResultLine[]).slice(0, -1);
    expect(results.every((l) => l.signing === 'keep' && l.signedFor!.startsWith(PUBLIC))).toBe(true);
  });

  it('--keep-signature keeps a public URL with a port and a query string', async () => {
    const a = await app({ trustProxy: true });
    const file = captureFile(
      captured(
        [
          ['sms', '/sms?tenant=42'],
          ['event-streams', '/events?x=1'],
        ],
        'https://hooks.example.com:8443',
      ),
    );
    const r = await runCli(['replay', file, '--to', a.url, '--keep-signature']);
    expect(r.code).toBe(0);
    expect(a.seen.map((s) => s.url)).toEqual([
      'https://hooks.example.com:8443/sms?tenant=42',
      expect.stringMatching(/^https:\/\/hooks\.example\.com:8443\/events\?x=1&bodySHA256=[0-9a-f]{64}$/),
    ]);
    expect(a.seen.every((s) => s.valid)).toBe(true);
  });

  it('--sign-for signs for the proxy URL the app rebuilds from X-Forwarded-Proto and X-Forwarded-Host', async () => {
    const a = await app({ trustProxy: true });
    const file = captureFile(captured(MIXED));
    const r = await runCli(['replay', file, '--to', a.url, '--sign-for', 'https://app.example.com', '--json'], { env });
    expect(r.code).toBe(0);
    expect(a.seen.every((s) => s.valid && s.url.startsWith('https://app.example.com/'))).toBe(true);
    // The Host stays the target's, as behind a real proxy.
    expect(a.seen[0]!.headers.host).toBe(`127.0.0.1:${a.port}`);
    const results = (r.json() as ResultLine[]).slice(0, -1);
    expect(results[0]!.signedFor).toBe('https://app.example.com/sms');
    expect(results[6]!.signedFor).toMatch(/^https:\/\/app\.example\.com\/events\?bodySHA256=/);
  });

  it('a path prefix in --to is kept in front of each captured path', async () => {
    const a = await app();
    const file = captureFile(captured([['sms', '/sms']]));
    const r = await runCli(['replay', file, '--to', `${a.url}/tenant-a/`], { env });
    expect(r.code).toBe(0);
    expect(a.seen[0]!.path).toBe('/tenant-a/sms');
    expect(a.seen[0]!.valid).toBe(true);
  });

  it('the body is sent byte for byte, a repeated parameter included', async () => {
    const a = await app();
    const [record] = captured([['sms', '/sms']]);
    record!.body = `${record!.body}&Tag=a&Tag=b&Body2=caf%C3%A9+%2B+%27`;
    const r = await runCli(['replay', captureFile([record!]), '--to', a.url], { env });
    expect(r.code).toBe(0);
    expect(a.seen[0]!.body).toBe(record!.body);
    expect(a.seen[0]!.params.Tag).toEqual(['a', 'b']);
    expect(a.seen[0]!.valid).toBe(true);
  });

  it('without a token: exit 2 naming TWILIO_AUTH_TOKEN and --keep-signature', async () => {
    const a = await app();
    const r = await runCli(['replay', captureFile(captured([['sms', '/sms']])), '--to', a.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('TWILIO_AUTH_TOKEN');
    expect(r.stderr).toContain('--keep-signature');
    expect(a.seen).toHaveLength(0);
  });
});

describe('twhook replay: selection', () => {
  const records = captured([
    ['sms', '/sms'],
    ['message-status', '/status'],
    ['call', '/voice'],
    ['call-status', '/call-status'],
    ['recording', '/recording'],
    ['sms', '/sms'],
  ]);
  // req_000 sms, 001-004 message-status, 005 call, 006-009 call-status, 010 recording, 011 sms

  async function replayed(args: string[]): Promise<string[]> {
    const a = await app();
    const r = await runCli(['replay', captureFile(records), '--to', a.url, '--json', ...args], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(a.seen.every((s) => s.valid)).toBe(true);
    return (r.json() as ResultLine[]).slice(0, -1).map((l) => l.id);
  }

  it('--filter kind=status picks message, call and recording status callbacks', async () => {
    const ids = await replayed(['--filter', 'kind=status']);
    expect(ids).toEqual([
      'req_001',
      'req_002',
      'req_003',
      'req_004',
      'req_006',
      'req_007',
      'req_008',
      'req_009',
      'req_010',
    ]);
  });

  it('--filter path=/sms, several values of one key (any), several keys (all), and globs', async () => {
    expect(await replayed(['--filter', 'path=/sms'])).toEqual(['req_000', 'req_011']);
    expect(await replayed(['--filter', 'path=/sms', '--filter', 'path=/voice'])).toEqual([
      'req_000',
      'req_005',
      'req_011',
    ]);
    expect(await replayed(['--filter', 'kind=call', '--filter', 'path=/call-*'])).toEqual([
      'req_006',
      'req_007',
      'req_008',
      'req_009',
    ]);
    expect(await replayed(['--filter', 'status=2xx', '--filter', 'kind=inbound'])).toEqual([
      'req_000',
      'req_005',
      'req_011',
    ]);
  });

  it('--id (repeatable) and --last N (after the filters)', async () => {
    expect(await replayed(['--id', 'req_005', '--id', 'req_001'])).toEqual(['req_001', 'req_005']);
    expect(await replayed(['--last', '2'])).toEqual(['req_010', 'req_011']);
    expect(await replayed(['--filter', 'kind=message-status', '--last', '3'])).toEqual([
      'req_002',
      'req_003',
      'req_004',
    ]);
  });

  it('nothing selected, an unknown id, a bad filter or an unreadable file: exit 2 with the fix', async () => {
    const file = captureFile(records);
    const cases: Array<[string[], RegExp]> = [
      [
        ['replay', file, '--to', 'http://127.0.0.1:9', '--filter', 'kind=debugger'],
        /nothing to replay: none of the 12 requests matches --filter kind=debugger/,
      ],
      [
        ['replay', captureFile(records.slice(0, 1)), '--to', 'http://127.0.0.1:9', '--filter', 'kind=debugger'],
        /nothing to replay: the one request does not match --filter kind=debugger/,
      ],
      [['replay', file, '--to', 'http://127.0.0.1:9', '--id', 'req_999'], /no request with id req_999 in/],
      [['replay', file, '--to', 'http://127.0.0.1:9', '--filter', 'colour=red'], /is not a filter/],
      [
        ['replay', join(tempDir(), 'missing.jsonl'), '--to', 'http://127.0.0.1:9'],
        /cannot read .*missing\.jsonl: no such file/,
      ],
      [['replay', file], /replay needs --to/],
      [
        ['replay', file, '--to', 'http://127.0.0.1:9', '--keep-signature', '--sign-for', 'https://x.example'],
        /exclude each other/,
      ],
      [['replay', file, '--to', 'http://127.0.0.1:9', '--concurrency', '0'], /--concurrency must be at least 1/],
      [['replay', file, '--to', 'http://127.0.0.1:9', '--rate', 'fast'], /--rate takes requests per second/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv, { env });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(message);
    }
  });

  it('a missing capture file or a folder is the one line on stderr (no "replaying …" line before it)', async () => {
    const missing = join(tempDir(), 'missing.jsonl');
    const r = await runCli(['replay', missing, '--to', 'http://127.0.0.1:9'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: cannot read ${missing}: no such file\n`);
    const folder = tempDir();
    const dir = await runCli(['replay', folder, '--to', 'http://127.0.0.1:9'], { env });
    expect(dir.code).toBe(2);
    expect(dir.stderr).toBe(`error: cannot read ${folder}: it is a folder (give the capture files in it)\n`);
  });

  it('malformed lines are skipped with a warning naming file:line; the others are replayed', async () => {
    const a = await app();
    const file = captureFile(captured([['sms', '/sms']]), ['{not json', '{"v":2,"url":"x","method":"POST"}']);
    const r = await runCli(['replay', file, '--to', a.url], { env });
    expect(r.code).toBe(0);
    expect(a.seen).toHaveLength(1);
    expect(r.stderr).toContain(`warning: skipped ${file}:2: not JSON`);
    expect(r.stderr).toContain(`warning: skipped ${file}:3: capture version 2 is not supported`);
  });
});

describe('twhook replay: answers', () => {
  it('shows each answer next to the captured one; a failure exits 1; --fail-on-diff makes a difference a failure', async () => {
    const a = await app({
      reply: (seen) =>
        seen.path === '/voice'
          ? { status: 500, contentType: 'text/html', body: '<html>oops</html>' }
          : seen.path === '/sms'
            ? { status: 200, contentType: 'text/xml', body: '<Response><Message>Changed</Message></Response>' }
            : { status: 204 },
    });
    const file = captureFile(
      captured([
        ['sms', '/sms'],
        ['call', '/voice'],
        ['recording', '/rec'],
      ]),
    );
    const r = await runCli(['replay', file, '--to', a.url, '--json'], { env });
    expect(r.code).toBe(1);
    const [sms, call, rec, summary] = r.json() as [ResultLine, ResultLine, ResultLine, SummaryLine];
    expect(sms).toMatchObject({ status: 200, statusSame: true, bodySame: false, ok: true });
    expect(call).toMatchObject({ status: 500, statusSame: false, bodySame: false, ok: false });
    expect(call.reason).toMatch(/500/);
    expect(rec).toMatchObject({ status: 204, statusSame: true, bodySame: true, ok: true });
    expect(summary.summary).toMatchObject({ sent: 3, ok: 2, failed: 1, statusDiffers: 1, bodyDiffers: 2 });

    const strict = await runCli(['replay', file, '--to', a.url, '--json', '--fail-on-diff', '--filter', 'path=/sms'], {
      env,
    });
    expect(strict.code).toBe(1);
    expect((strict.json()[0] as ResultLine).reason).toBe('the answer differs from the captured one');
  });

  it('piped output is one TSV row per request; on a terminal a line with the comparison', async () => {
    const a = await app();
    const file = captureFile(
      captured([
        ['sms', '/sms'],
        ['recording', '/rec'],
      ]),
    );
    const piped = await runCli(['replay', file, '--to', a.url], { env });
    expect(
      piped.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t').slice(0, 9)),
    ).toEqual([
      ['req_000', 'POST', '/sms', 'inbound-sms', '200', '200', 'same', expect.stringMatching(/^\d+$/), 'ok'],
      ['req_001', 'POST', '/rec', 'recording-status', '204', '204', 'same', expect.stringMatching(/^\d+$/), 'ok'],
    ]);
    expect(piped.stderr).toContain('replayed 2 to');
    const tty = await runCli(['replay', file, '--to', a.url], { env: { ...env, NO_COLOR: '1' }, tty: true });
    expect(tty.stdout).toMatch(/^✓ req_000 {2}POST \/sms {2}inbound-sms {2}200 = captured · body same · \d+ ms$/m);
  });

  // Issue 11 item 0: text/html is TwiML to Twilio (Express's res.send), so a replay against such an app passes.
  it('TwiML served as text/html passes, exit 0', async () => {
    const a = await app({
      reply: () => ({
        status: 200,
        contentType: 'text/html; charset=utf-8',
        body: '<Response><Message>hi</Message></Response>',
      }),
    });
    const r = await runCli(['replay', captureFile(captured([['sms', '/sms']])), '--to', a.url, '--json'], { env });
    expect(r.code).toBe(0);
    const [line] = r.json() as Array<ResultLine & { twiml: { ok: boolean } }>;
    expect(line!.twiml.ok).toBe(true);
  });

  it('a TwiML answer Twilio cannot run fails with its Twilio error', async () => {
    const a = await app({ reply: () => ({ status: 200, contentType: 'application/json', body: '{"message":"hi"}' }) });
    const r = await runCli(['replay', captureFile(captured([['sms', '/sms']])), '--to', a.url, '--json'], { env });
    expect(r.code).toBe(1);
    const [line] = r.json() as Array<ResultLine & { twiml: { twilioError: { code: number } } }>;
    expect(line!.twiml.twilioError.code).toBe(12300);
  });

  it('I-Twilio-Idempotency-Token is kept by default; --new-idempotency sends new ones', async () => {
    const records = captured([['message-status', '/status']]);
    const tokens = records.map((r) => r.headers['i-twilio-idempotency-token']);
    const kept = await app();
    await runCli(['replay', captureFile(records), '--to', kept.url], { env });
    expect(kept.seen.map((s) => s.headers['i-twilio-idempotency-token'])).toEqual(tokens);
    const renewed = await app();
    await runCli(['replay', captureFile(records), '--to', renewed.url, '--new-idempotency'], { env });
    const fresh = renewed.seen.map((s) => s.headers['i-twilio-idempotency-token'] as string);
    expect(fresh.every((t, i) => /^[0-9a-f-]{36}$/.test(t) && t !== tokens[i])).toBe(true);
    expect(new Set(fresh).size).toBe(4);
  });

  it('nothing listening: stops at the first request, exit 3 with one line', async () => {
    const port = await closedPort();
    const r = await runCli(['replay', captureFile(captured(MIXED)), '--to', `http://127.0.0.1:${port}`, '--json'], {
      env,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`error: nothing listening on 127.0.0.1:${port}: start your app, or point --to at it\n`);
    const lines = r.json() as Array<ResultLine | SummaryLine | { error: unknown }>;
    expect((lines[0] as ResultLine).error!.code).toBe('ECONNREFUSED');
    expect((lines[1] as SummaryLine).summary).toMatchObject({ sent: 1, failed: 1, stopped: true });
  });
});

describe('twhook replay --json: each line is what JSON.stringify writes', () => {
  it('same keys in the same order, the same escaping, undefined fields left out, whatever the record holds', async () => {
    const a = await app();
    const records = captured([...MIXED, ['sms', '/sms', { body: 'Quote " back \\ line\u2028sep é 😀 \u0001' }]]);
    // Hand-edited records: no captured answer, a status written as a string, an answer without status.
    delete records[0]!.response;
    (records[1]!.response as unknown as { status: string }).status = '204';
    delete (records[2]!.response as { status?: number }).status;
    const ok = await runCli(['replay', captureFile(records), '--to', a.url, '--json'], { env });
    const down = await runCli(
      ['replay', captureFile(records.slice(0, 1)), '--to', `http://127.0.0.1:${await closedPort()}`, '--json'],
      {
        env,
      },
    );
    const lines = [...ok.stdout.trim().split('\n'), ...down.stdout.trim().split('\n')].filter(
      (l) => !l.startsWith('{"summary"'),
    );
    expect(lines.length).toBeGreaterThan(records.length);
    const order = [
      'id',
      'file',
      'line',
      'kind',
      'gist',
      'method',
      'url',
      'signing',
      'signedFor',
      'status',
      'contentType',
      'ms',
      'body',
      'error',
      'twiml',
      'captured',
      'statusSame',
      'bodySame',
      'ok',
      'reason',
    ];
    for (const line of lines) {
      const value = JSON.parse(line) as Record<string, unknown>;
      expect(line).toBe(JSON.stringify(value));
      expect(Object.keys(value)).toEqual(order.filter((key) => key in value));
    }
    const parsed = lines.map((l) => JSON.parse(l) as ResultLine & { captured: unknown; gist: string });
    expect(parsed[0]!.captured).toEqual({ status: null });
    expect(parsed[1]!.captured).toEqual({ status: '204' });
    expect(parsed[2]!.captured).toEqual({});
    expect(parsed.some((p) => p.gist.includes('Quote " back'))).toBe(true);
    expect(parsed.at(-1)!.error!.code).toBe('ECONNREFUSED');
  });
});

describe('twhook replay: concurrency and rate', () => {
  const many = () => captured(Array.from({ length: 12 }, () => ['recording', '/rec'] as [string, string]));

  it('--concurrency N: the app sees N requests in flight at once, never more; results stay in capture order', async () => {
    const a = await app({ holdUntilInFlight: 4, holdMs: 3000 });
    const r = await runCli(['replay', captureFile(many()), '--to', a.url, '--concurrency', '4', '--json'], { env });
    expect(r.code).toBe(0);
    expect(a.maxInFlight()).toBe(4);
    const ids = (r.json() as ResultLine[]).slice(0, -1).map((l) => l.id);
    expect(ids).toEqual(many().map((rec) => rec.id));
  });

  it('the default is one at a time, in capture order', async () => {
    const a = await app();
    const records = captured([
      ['sms', '/sms'],
      ['message-status', '/status'],
      ['call', '/voice'],
    ]);
    await runCli(['replay', captureFile(records), '--to', a.url], { env });
    expect(a.maxInFlight()).toBe(1);
    expect(a.seen.map((s) => s.headers['i-twilio-idempotency-token'])).toEqual(
      records.map((r) => r.headers['i-twilio-idempotency-token']),
    );
  });

  it('a long replay draws a progress bar on a terminal (stderr), none off a terminal', async () => {
    // Each answer waits 80 ms (in flight never reaches 2): the replay lasts well past the bar's delay.
    const slow = () => app({ holdUntilInFlight: 2, holdMs: 80 });
    const records = many().slice(0, 8);
    const tty = await runCli(['replay', captureFile(records), '--to', (await slow()).url], {
      env: { ...env, NO_COLOR: '1' },
      tty: true,
    });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/\r\u001b\[2Kreplaying [█░]{24} \d+\/8 · \d+\/s/);
    expect(tty.stderr).toContain('replayed 8 to');
    // The bar is erased before each result line, so stdout lines stay whole.
    expect(tty.stdout.trim().split('\n')).toHaveLength(8);
    const piped = await runCli(['replay', captureFile(records), '--to', (await slow()).url], { env });
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toContain('\r');
    expect(piped.stderr).not.toContain('█');
  });

  it('Ctrl-C stops the replay: requests in flight end, no new ones start, exit 130', async () => {
    const controller = new AbortController();
    // Every answer waits 5 s (in flight never reaches 99): the replay is stuck on the first one.
    const a = await app({ holdUntilInFlight: 99, holdMs: 5000 });
    const run = runCli(['replay', captureFile(many()), '--to', a.url, '--json'], { env, signal: controller.signal });
    for (let i = 0; i < 200 && a.seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error('SIGINT'));
    const r = await run;
    expect(r.code).toBe(130);
    expect(a.seen).toHaveLength(1);
    const lines = r.json() as Array<ResultLine | SummaryLine>;
    expect((lines[0] as ResultLine).error!.code).toBe('aborted');
    expect((lines[1] as SummaryLine).summary).toMatchObject({ sent: 1, ok: 0, failed: 1, stopped: true });
  });

  it('--rate bounds the pace and keeps the order', async () => {
    const a = await app();
    const records = many().slice(0, 5);
    const r = await runCli(['replay', captureFile(records), '--to', a.url, '--rate', '50/s'], { env });
    expect(r.code).toBe(0);
    expect(a.seen.map((s) => s.params.RecordingSid)).toEqual(
      records.map((rec) => new URLSearchParams(rec.body).get('RecordingSid')),
    );
    expect(a.maxInFlight()).toBe(1);
  });
});
