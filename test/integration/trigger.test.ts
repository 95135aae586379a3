import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { closedPort, useTwilioApp, type TwilioApp, type TwilioAppOptions } from '../support/twilio-app.js';

const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const ACCOUNT = 'AC' + '0123456789abcdef'.repeat(2);
const env = { TWILIO_AUTH_TOKEN: TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT };

const app = (options: Partial<TwilioAppOptions> = {}): Promise<TwilioApp> =>
  useTwilioApp({ authToken: TOKEN, ...options });

interface StepJson {
  event: string;
  step: string;
  kind: string;
  request: { url: string; signedFor: string | null; params?: Record<string, string> };
  response: { status: number; body: string } | null;
  twiml?: { ok: boolean; problems: string[]; twilioError?: { code: number } };
  ok: boolean;
}

const EVENTS: Array<[string, string, number]> = [
  ['sms', '/sms', 1],
  ['mms', '/sms', 1],
  ['call', '/voice', 1],
  ['gather', '/gather', 1],
  ['recording', '/recording', 1],
  ['message-status', '/status', 4],
  ['call-status', '/status', 4],
  ['debugger', '/debugger', 1],
  ['event-streams', '/events', 1],
];

describe('twhook trigger against an app that validates signatures', () => {
  for (const [event, path, count] of EVENTS) {
    it(`${event}: ${count} signed request(s) the app accepts, exit 0`, async () => {
      const a = await app();
      const r = await runCli(['trigger', event, '--to', `${a.url}${path}`, '--json'], { env });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(a.seen).toHaveLength(count);
      for (const seen of a.seen) {
        expect(seen.valid).toBe(true);
        expect(seen.headers['user-agent']).toBe('TwilioProxy/1.1');
      }
      const lines = r.json() as Array<StepJson | { summary: { sent: number; ok: number; failed: number } }>;
      expect(lines).toHaveLength(count + 1);
      expect(lines[count]).toMatchObject({ summary: { sent: count, ok: count, failed: 0 } });
      const steps = lines.slice(0, count) as StepJson[];
      for (const step of steps) expect(step.ok).toBe(true);
      if (event !== 'event-streams') expect(steps[0]!.request.params!.AccountSid).toBe(ACCOUNT);
    });
  }

  it('sequences arrive in order', async () => {
    const a = await app();
    const r = await runCli(['trigger', 'message-status', '--to', `${a.url}/status`, '--final-status', 'undelivered'], {
      env,
    });
    expect(r.code).toBe(0);
    expect(a.seen.map((s) => s.params.MessageStatus)).toEqual(['accepted', 'queued', 'sent', 'undelivered']);
    expect(a.seen[3]!.params.ErrorCode).toBe('30003');
    expect(r.stdout).toContain('[4/4] undelivered POST');
    expect(r.stderr).toContain('4 of 4 sent');
  });

  it('prints the answer and the TwiML verdict; a JSON answer to an SMS fails with Twilio error 12300, exit 1', async () => {
    const good = await app();
    const ok = await runCli(['trigger', 'sms', '--to', `${good.url}/sms`, '--body', 'hello there'], { env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('inbound-sms');
    expect(ok.stdout).toContain('hello there');
    expect(ok.stdout).toContain('← 200 text/xml');
    expect(ok.stdout).toContain('<Message>Got it</Message>');
    expect(ok.stdout).toContain('✓ TwiML: Message');
    expect(good.seen[0]!.params.Body).toBe('hello there');

    const json = await app({ reply: () => ({ status: 200, contentType: 'application/json', body: '{"ok":true}' }) });
    const bad = await runCli(['trigger', 'sms', '--to', `${json.url}/sms`, '--json'], { env });
    expect(bad.code).toBe(1);
    const [step] = bad.json() as StepJson[];
    expect(step!.ok).toBe(false);
    expect(step!.twiml).toMatchObject({ ok: false, twilioError: { code: 12300 } });
  });

  // Issue 11 item 0: Express's res.send(twiml.toString()) answers text/html, which Twilio reads as
  // TwiML (https://www.twilio.com/docs/voice/twiml#twilio-understands-mime-types).
  it('TwiML served as text/html (Express res.send) passes, exit 0; an HTML error page is 12100, exit 1', async () => {
    const express = await app({
      reply: () => ({
        status: 200,
        contentType: 'text/html; charset=utf-8',
        body: '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hi</Say></Response>',
      }),
    });
    const ok = await runCli(['trigger', 'call', '--to', `${express.url}/voice`], { env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('✓ TwiML: Say');
    const page = await app({
      reply: () => ({
        status: 200,
        contentType: 'text/html',
        body: '<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>',
      }),
    });
    const bad = await runCli(['trigger', 'call', '--to', `${page.url}/voice`, '--json'], { env });
    expect(bad.code).toBe(1);
    const [step] = bad.json() as StepJson[];
    expect(step!.twiml).toMatchObject({
      ok: false,
      problems: ['an HTML page, not TwiML: "Welcome to nginx!"'],
      twilioError: { code: 12100 },
    });
  });

  it('a plain-text answer to a call is accepted and the output says Twilio will read it and hang up', async () => {
    const plain = await app({ reply: () => ({ status: 200, contentType: 'text/plain', body: 'We are closed.' }) });
    const r = await runCli(['trigger', 'call', '--to', `${plain.url}/voice`], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Twilio will read this text and hang up');
  });

  it('a status callback answered with 500 fails (exit 1); its body is not checked as TwiML', async () => {
    const a = await app({ reply: () => ({ status: 500, body: 'boom' }) });
    const r = await runCli(['trigger', 'recording', '--to', `${a.url}/rec`], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('the app answered 500');
    const fine = await app({ reply: () => ({ status: 200, contentType: 'application/json', body: '{}' }) });
    expect((await runCli(['trigger', 'recording', '--to', `${fine.url}/rec`], { env })).code).toBe(0);
  });

  it('--sign-for signs for the public URL; an app behind a proxy that trusts X-Forwarded-* would rebuild it', async () => {
    const a = await app();
    const r = await runCli(
      ['trigger', 'call', '--to', `${a.url}/voice`, '--sign-for', 'https://abc.ngrok.app/voice', '--json'],
      { env },
    );
    // The app rebuilt its own URL (http://127.0.0.1...), not the one signed: 403.
    expect(a.seen[0]!.valid).toBe(false);
    expect(r.code).toBe(1);
    const [step] = r.json() as StepJson[];
    expect(step!.request.signedFor).toBe('https://abc.ngrok.app/voice');
    const { validateRequest } = await import('twilio/lib/webhooks/webhooks.js');
    expect(
      validateRequest(
        TOKEN,
        a.seen[0]!.headers['x-twilio-signature'] as string,
        'https://abc.ngrok.app/voice',
        a.seen[0]!.params,
      ),
    ).toBe(true);
  });

  it('--method GET sends the fields in the query string, signed', async () => {
    const a = await app();
    const r = await runCli(['trigger', 'sms', '--to', `${a.url}/sms`, '--method', 'GET'], { env });
    expect(r.code).toBe(0);
    expect(a.seen[0]!.method).toBe('GET');
    expect(a.seen[0]!.url).toContain('/sms?ToCountry=US&');
    expect(a.seen[0]!.valid).toBe(true);
  });

  it('--unsigned sends no signature (the app refuses it); without a token the error names TWILIO_AUTH_TOKEN', async () => {
    const a = await app();
    const unsigned = await runCli(['trigger', 'sms', '--to', `${a.url}/sms`, '--unsigned']);
    expect(unsigned.code).toBe(1);
    expect(a.seen[0]!.headers['x-twilio-signature']).toBeUndefined();
    expect(a.seen[0]!.params.AccountSid).toMatch(/^AC[0-9a-f]{32}$/);

    const missing = await runCli(['trigger', 'sms', '--to', `${a.url}/sms`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('TWILIO_AUTH_TOKEN');
    expect(missing.stderr).toContain('--unsigned');
    expect(a.seen).toHaveLength(1);
  });

  it('--dry-run prints the signed request without sending', async () => {
    const a = await app();
    const r = await runCli(['trigger', 'sms', '--to', `${a.url}/sms`, '--dry-run', '--seed', '3', '--json'], { env });
    expect(r.code).toBe(0);
    expect(a.seen).toHaveLength(0);
    const [line] = r.json() as Array<{ request: { headers: Record<string, string>; params: Record<string, string> } }>;
    expect(line!.request.headers['X-Twilio-Signature']).toMatch(/=$/);
    const again = await runCli(['trigger', 'sms', '--to', `${a.url}/sms`, '--dry-run', '--seed', '3', '--json'], {
      env,
    });
    expect((again.json()[0] as typeof line)!.request.params.MessageSid).toBe(line!.request.params.MessageSid);
  });

  it('exit 3 and one line when nothing listens; the sequence stops there', async () => {
    const port = await closedPort();
    const r = await runCli(['trigger', 'message-status', '--to', `http://127.0.0.1:${port}/status`], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`error: nothing listening on 127.0.0.1:${port}: start your app, or point --to at it\n`);
    expect(r.stdout.match(/POST/g)).toHaveLength(1);
  });

  it('Ctrl-C during a sequence: the step in flight ends, no further step is sent, exit 130', async () => {
    const controller = new AbortController();
    const a = await app({ holdUntilInFlight: 99, holdMs: 5000 });
    const run = runCli(['trigger', 'call-status', '--to', `${a.url}/status`], { env, signal: controller.signal });
    for (let i = 0; i < 200 && a.seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error('SIGINT'));
    const r = await run;
    expect(r.code).toBe(130);
    expect(a.seen).toHaveLength(1);
    expect(r.stdout).toContain('stopped before the answer came');
  });

  it('bad usage exits 2 with one line naming the fix', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['trigger', 'fax', '--to', 'http://127.0.0.1/x'], /unknown event "fax": choose one of/],
      [['trigger', 'sms'], /pass --to with your app's URL/],
      [['trigger'], /which event\?/],
      [['trigger', 'sms', '--to', 'localhost:3000'], /--to needs an absolute URL/],
      [
        ['trigger', 'sms', '--to', 'http://127.0.0.1/x', '--digits', '1'],
        /--digits does not apply to sms: it takes --from, --to-number, --body/,
      ],
      [['trigger', 'sms', '--to', 'http://127.0.0.1/x', '--from', '555-1234'], /--from must be an E\.164 number/],
      [['trigger', 'mms', '--to', 'http://127.0.0.1/x', '--media', '11'], /--media is at most 10/],
      [
        ['trigger', 'message-status', '--to', 'http://127.0.0.1/x', '--final-status', 'lost'],
        /no "lost" sequence: choose one of delivered, undelivered, failed/,
      ],
      [['trigger', 'sms', '--to', 'http://127.0.0.1/x', '--param', 'Body'], /--param takes NAME=VALUE/],
      [['trigger', 'sms', '--to', 'http://127.0.0.1/x', '--method', 'PUT'], /--method is GET or POST/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv, { env });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.stderr, argv.join(' ')).toMatch(message);
    }
  });

  it('warns about a flag that the chosen sequence does not use', async () => {
    const a = await app();
    const r = await runCli(['trigger', 'message-status', '--to', `${a.url}/status`, '--error-code', '30005'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: --error-code has no effect on message-status delivered');
  });
});

describe('twhook trigger --list', () => {
  it('lists every event with its flags and fields (TSV piped, objects with --json)', async () => {
    const tsv = await runCli(['trigger', '--list']);
    expect(tsv.code).toBe(0);
    const rows = tsv.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    expect(rows.map((r) => r[0])).toEqual([
      'call',
      'call-status',
      'debugger',
      'event-streams',
      'gather',
      'message-status',
      'mms',
      'recording',
      'sms',
    ]);
    const gather = rows.find((r) => r[0] === 'gather')!;
    expect(gather[2]).toBe('--from,--to-number,--digits,--speech');
    expect(gather[3]!.split(',')).toEqual(expect.arrayContaining(['CallSid', 'Digits', 'SpeechResult', 'Confidence']));

    const json = await runCli(['trigger', '--list', '--json']);
    const status = (
      json.json() as Array<{ event: string; sequences?: Record<string, string[]>; expectsTwiml: unknown }>
    ).find((e) => e.event === 'message-status')!;
    expect(status.sequences).toEqual({
      delivered: ['accepted', 'queued', 'sent', 'delivered'],
      undelivered: ['accepted', 'queued', 'sent', 'undelivered'],
      failed: ['accepted', 'queued', 'failed'],
    });
    expect(status.expectsTwiml).toBe(false);
  });

  it('with an event: its fields and example values', async () => {
    const r = await runCli(['trigger', 'mms', '--list'], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mms: an inbound MMS');
    expect(r.stdout).toMatch(/^MediaUrl1\s+https:\/\/api\.twilio\.com\/2010-04-01\/Accounts\/AC/m);
    expect(r.stdout).toMatch(/^NumMedia\s+2$/m);
  });
});
