import { describe, expect, it } from 'vitest';
import type { DevEvent, RequestEvent } from '../../src/dev/events.js';
import { createRenderer, problemLines, withoutBodies } from '../../src/ui/live-view.js';
import { Output } from '../../src/ui/output.js';
import { SecretRedactor } from '../../src/redact.js';
import { MemoryStream } from '../support/run-cli.js';
import { PassThrough } from 'node:stream';

function output(options: { tty: boolean; json?: boolean; color?: boolean }) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const redactor = new SecretRedactor();
  const out = new Output(
    {
      stdin: new PassThrough(),
      stdout,
      stderr,
      isStdinTTY: options.tty,
      isStdoutTTY: options.tty,
      isStderrTTY: options.tty,
    },
    { json: !!options.json, color: !!options.color, redactor },
  );
  return { out, stdout, stderr, redactor };
}

const time = '2026-11-27T10:00:01.000Z';
const formatTime = () => '10:00:01';

function request(extra: Partial<RequestEvent> = {}): RequestEvent {
  return {
    type: 'request',
    id: 3,
    time,
    request: {
      method: 'POST',
      path: '/sms',
      url: 'https://x.test/sms',
      headers: [['Content-Type', 'application/x-www-form-urlencoded']],
      body: 'Body=Hi',
      bodyEncoding: 'utf8',
      bytes: 7,
      truncated: false,
    },
    kind: 'inbound-sms',
    gist: '+1555… → +1501…: Hi',
    expectsTwiml: true,
    verdict: { status: 'valid', reason: 'signature matches' },
    outcome: 'answered',
    status: 200,
    response: {
      status: 200,
      contentType: 'text/xml; charset=utf-8',
      headers: [['Content-Type', 'text/xml']],
      body: '<Response/>',
      bodyEncoding: 'utf8',
      bytes: 11,
      truncated: false,
    },
    latencyMs: 12.4,
    twiml: { ok: true, problems: [], verbs: [] },
    warnings: [],
    ...extra,
  };
}

const ready: DevEvent = {
  type: 'ready',
  time,
  publicUrl: 'https://x.test',
  proxyUrl: 'http://127.0.0.1:4040',
  target: 'http://localhost:3000',
  tunnel: 'public-url',
  numbers: [
    {
      sid: 'PN1',
      phoneNumber: '+15017122661',
      urls: { SmsUrl: 'https://x.test/sms', VoiceUrl: 'https://x.test/voice' },
    },
  ],
  capture: '/tmp/c.jsonl',
  signatures: 'unchecked',
  enforceSignatures: false,
  basicAuth: false,
};

describe('live view (terminal)', () => {
  it('draws one line per request with verdict, status, type and latency', () => {
    const { out, stdout } = output({ tty: true });
    createRenderer(out, { formatTime })(request());
    expect(stdout.text()).toBe(
      '10:00:01  #3   POST  /sms    inbound-sms  ✓ valid     200    12 ms  +1555… → +1501…: Hi\n',
    );
  });

  it("aligns the columns of every line, and fits the gist into the terminal's width", () => {
    const { out, stdout } = output({ tty: true });
    const render = createRenderer(out, { formatTime, width: () => 100 });
    render(
      request({
        id: 12,
        request: { ...request().request, path: '/voice/status', method: 'GET' },
        kind: 'call-status',
        verdict: { status: 'invalid', reason: 'no match' },
      }),
    );
    render(
      request({
        id: 13,
        gist: 'x'.repeat(200),
        outcome: 'app-down',
        status: 502,
        response: undefined,
        twiml: undefined,
        failure: 'nothing listening',
      }),
    );
    const lines = stdout
      .text()
      .split('\n')
      .filter((l) => !l.startsWith('    '));
    // Every column starts at the same position on both lines.
    const starts = (line: string) => [...line.matchAll(/(?<= {2})\S/g)].map((m) => m.index);
    expect(starts(lines[1]!).slice(0, 8)).toEqual(starts(lines[0]!).slice(0, 8));
    expect(lines[0]).toBe(
      '10:00:01  #12  GET   /voice/status  call-status  ✗ invalid   200    12 ms  +1555… → +1501…: Hi',
    );
    expect(lines[1]).toHaveLength(100);
    expect(lines[1]).toMatch(/^10:00:01 {2}#13 {2}POST {2}\/sms {11}inbound-sms {2}✓ valid {5}502 {4}12 ms {2}x+…$/);
    expect(stdout.text()).toContain('    ✗ signature: no match\n');
  });

  it('puts the signature reason below the line with the TwiML problem with its Twilio error below', () => {
    const { out, stdout } = output({ tty: true });
    createRenderer(out, { formatTime })(
      request({
        verdict: { status: 'invalid', reason: 'signed for https://x.test/sms; your app saw http://x.test/sms' },
        response: {
          status: 200,
          contentType: 'application/json',
          headers: [],
          body: '{}',
          bodyEncoding: 'utf8',
          bytes: 2,
          truncated: false,
        },
        twiml: {
          ok: false,
          problems: ['Content-Type application/json with a JSON body: answer TwiML with Content-Type text/xml'],
          twilioError: { code: 12300, message: 'Invalid Content-Type' },
        },
        twilioError: { code: 12300, message: 'Invalid Content-Type' },
        warnings: ['slow: 9.0 s of the 15 s Twilio waits'],
        retryOf: 1,
      }),
    );
    expect(stdout.text().split('\n')).toEqual([
      '10:00:01  #3   POST  /sms    inbound-sms  ✗ invalid   200    12 ms  ↻ retry of #1  +1555… → +1501…: Hi',
      '    ✗ signature: signed for https://x.test/sms; your app saw http://x.test/sms',
      '    ✗ TwiML: Content-Type application/json with a JSON body: answer TwiML with Content-Type text/xml (Twilio error 12300 Invalid Content-Type)',
      '    ! slow: 9.0 s of the 15 s Twilio waits',
      '',
    ]);
  });

  // Twilio reads a text/plain answer to a call aloud and hangs up (TwiML Voice: Your Response).
  it('says what Twilio will do with a plain-text answer to a call, as a note, not an error', () => {
    const { out, stdout } = output({ tty: true });
    createRenderer(out, { formatTime })(
      request({
        response: {
          status: 200,
          contentType: 'text/plain',
          headers: [],
          body: 'Closed',
          bodyEncoding: 'utf8',
          bytes: 6,
          truncated: false,
        },
        twiml: { ok: true, problems: [], effect: 'Twilio will read this text and hang up' },
      }),
    );
    expect(stdout.text().split('\n')[1]).toBe('    → Twilio will read this text and hang up');
  });

  it('shows headers and bodies with --verbose', () => {
    const { out, stdout } = output({ tty: true });
    createRenderer(out, { formatTime, verbose: true })(request());
    expect(stdout.text()).toContain(
      '    > POST https://x.test/sms\n    > Content-Type: application/x-www-form-urlencoded\n    >\n    > Body=Hi\n    < 200\n',
    );
  });

  it('writes ready, restored, warnings and app output to stderr', () => {
    const { out, stdout, stderr } = output({ tty: true });
    const render = createRenderer(out, { formatTime });
    render(ready);
    render({ type: 'app-output', time, stream: 'stdout', line: 'listening on 3000' });
    render({ type: 'warning', time, message: 'careful' });
    render({
      type: 'restored',
      time,
      reason: 'interrupted',
      numbers: [
        { sid: 'PN1', phoneNumber: '+15017122661', fields: { smsUrl: 'https://old.test/sms', voiceUrl: null } },
      ],
    });
    expect(stdout.text()).toBe('');
    const err = stderr.text();
    expect(err).toContain('twhook dev  https://x.test → http://127.0.0.1:4040 → http://localhost:3000');
    expect(err).toContain('  +15017122661    SmsUrl            https://x.test/sms');
    expect(err).toContain('signatures: unchecked (set TWILIO_AUTH_TOKEN)');
    expect(err).toContain('app | listening on 3000');
    expect(err).toContain('warning: careful');
    expect(err).toContain('✓ restored +15017122661: smsUrl https://old.test/sms, voiceUrl (empty)');
    expect(err).toContain('stopped (interrupted)');
  });
});

describe('plain log (piped)', () => {
  it('prints one tab-separated line per request', () => {
    const { out, stdout } = output({ tty: false });
    createRenderer(out)(
      request({
        outcome: 'app-down',
        status: 502,
        response: undefined,
        twiml: undefined,
        failure: 'nothing listening on localhost:3000',
        twilioError: { code: 11200, message: 'HTTP retrieval failure' },
        verdict: { status: 'unsigned', reason: 'no X-Twilio-Signature header' },
      }),
    );
    expect(stdout.text().trimEnd().split('\t')).toEqual([
      time,
      '3',
      'POST',
      '/sms',
      'inbound-sms',
      'unsigned',
      '502',
      'app-down',
      '-',
      '12',
      '-',
      '+1555… → +1501…: Hi',
      'no X-Twilio-Signature header',
      'nothing listening on localhost:3000 (Twilio error 11200 HTTP retrieval failure)',
    ]);
  });
});

describe('NDJSON', () => {
  it('emits each event as one object a line, without bodies unless verbose, app output on stderr', () => {
    const { out, stdout, stderr, redactor } = output({ tty: false, json: true });
    redactor.add('secret-token-value');
    const render = createRenderer(out);
    render(ready);
    render(request({ gist: 'contains secret-token-value' }));
    render({ type: 'app-output', time, stream: 'stderr', line: 'boom' });
    render({ type: 'error', time, message: 'x', fatal: false });
    const lines = stdout
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['ready', 'request', 'error']);
    expect(lines[1].request).toEqual({
      method: 'POST',
      path: '/sms',
      url: 'https://x.test/sms',
      bodyEncoding: 'utf8',
      bytes: 7,
      truncated: false,
    });
    expect(lines[1].gist).toBe('contains [redacted]');
    expect(stderr.text()).toBe('app | boom\n');
  });

  it('withoutBodies keeps the original event intact', () => {
    const e = request();
    withoutBodies(e);
    expect(e.request.body).toBe('Body=Hi');
  });
});

describe('problemLines', () => {
  it('does not list a basic-auth challenge as a problem', () => {
    expect(
      problemLines(
        request({
          outcome: 'challenged',
          status: 401,
          failure: 'no credentials: 401',
          response: undefined,
          twiml: undefined,
        }),
      ),
    ).toEqual([]);
  });
  it("names Twilio's error for an app error answer without TwiML", () => {
    expect(
      problemLines(
        request({
          status: 500,
          expectsTwiml: false,
          twiml: undefined,
          twilioError: { code: 11200, message: 'HTTP retrieval failure' },
        }),
      ),
    ).toEqual([{ level: 'error', text: 'the app answered 500 (Twilio error 11200 HTTP retrieval failure)' }]);
  });
});
