import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyRequest } from '../../src/webhooks/signature.js';
import { signRequest } from '../../src/webhooks/signature.js';
import { useEmulator } from '../support/emulator.js';
import { post, startApp, startCli, waitFor } from '../support/dev-session.js';
import { tempDir } from '../support/run-cli.js';

const PUBLIC = 'https://dev.example.test';
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Got it</Message></Response>';
const inboundSms = {
  MessageSid: 'SM0123456789abcdef0123456789abcdef',
  AccountSid: 'AC1',
  From: '+15551230000',
  To: '+14155550100',
  Body: 'Hello there',
  NumMedia: '0',
};

function ready(cli: ReturnType<typeof startCli>) {
  return waitFor('the ready event', () => cli.json().find((e) => e.type === 'ready'));
}

describe('twhook dev with --public-url and the fake API', () => {
  it('rewrites the numbers, forwards signed requests, captures them and restores on Ctrl-C', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => {
      res.setHeader('Content-Type', 'text/xml');
      res.end(TWIML);
    });
    const support = [...emu.state.api2010.numbers.values()][0]!;
    const before = { sms: support.sms_url, voice: support.voice_url, status: support.status_callback };
    const cli = startCli(
      [
        'dev',
        String(app.port),
        '--public-url',
        PUBLIC,
        '--number',
        '+14155550100',
        '--voice-status',
        '/status',
        '--rt',
        '5000',
        '--capture',
        'cap.jsonl',
        '--json',
      ],
      { env: emu.env },
    );
    const r = await ready(cli);
    expect(r).toMatchObject({
      publicUrl: PUBLIC,
      target: `http://localhost:${app.port}`,
      tunnel: 'public-url',
      signatures: 'checked',
      capture: join(cli.cwd, 'cap.jsonl'),
      numbers: [
        {
          sid: support.sid,
          phoneNumber: '+14155550100',
          urls: {
            SmsUrl: `${PUBLIC}/sms#rt=5000`,
            VoiceUrl: `${PUBLIC}/voice#rt=5000`,
            StatusCallback: `${PUBLIC}/status#rt=5000`,
          },
        },
      ],
    });
    expect(support.sms_url).toBe(`${PUBLIC}/sms#rt=5000`);
    expect(support.voice_url).toBe(`${PUBLIC}/voice#rt=5000`);
    expect(support.voice_method).toBe('POST');
    expect(support.status_callback).toBe(`${PUBLIC}/status#rt=5000`);

    const signed = signRequest({ authToken: emu.authToken, url: `${PUBLIC}/sms?src=twilio`, params: inboundSms });
    const answer = await post(`${r.proxyUrl}/sms?src=twilio`, signed.body, {
      'X-Twilio-Signature': signed.signature,
      Host: 'dev.example.test',
      'I-Twilio-Idempotency-Token': 'idem-1',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(TWIML);
    const forged = await post(`${r.proxyUrl}/sms`, signed.body, { 'X-Twilio-Signature': signed.signature });
    expect(forged.status).toBe(200);
    await post(`${r.proxyUrl}/sms?src=twilio`, signed.body, {
      'X-Twilio-Signature': signed.signature,
      'I-Twilio-Idempotency-Token': 'idem-1',
    });

    expect(app.seen).toHaveLength(3);
    expect(app.seen[0]!.body).toBe(signed.body);
    expect(app.seen[0]!.headers['x-forwarded-proto']).toBe('https');
    expect(app.seen[0]!.headers['x-forwarded-host']).toBe('dev.example.test');

    const requests = await waitFor('three request events', () => {
      const list = cli.json().filter((e) => e.type === 'request');
      return list.length === 3 && list;
    });
    expect(requests[0]).toMatchObject({
      id: 1,
      kind: 'inbound-sms',
      gist: '+1555… → +1415…: Hello there',
      expectsTwiml: true,
      verdict: { status: 'valid' },
      outcome: 'answered',
      status: 200,
      request: { method: 'POST', path: '/sms?src=twilio', url: `${PUBLIC}/sms?src=twilio` },
      response: { status: 200, contentType: 'text/xml' },
      twiml: { ok: true, verbs: ['Message'] },
    });
    expect(requests[0]!.request.body).toBeUndefined(); // bodies only with --verbose
    expect(requests[1]!.verdict.status).toBe('invalid');
    expect(requests[1]!.verdict.reason).toBeTruthy();
    expect(requests[2]).toMatchObject({ retryOf: 1, idempotencyToken: 'idem-1' });

    cli.interrupt();
    expect(await cli.exit).toBe(0);
    const restored = cli.json().find((e) => e.type === 'restored')!;
    expect(restored).toMatchObject({
      reason: 'interrupted',
      numbers: [{ sid: support.sid, phoneNumber: '+14155550100' }],
    });
    expect(restored.numbers[0].fields).toMatchObject({
      smsUrl: before.sms,
      voiceUrl: before.voice,
      statusCallback: before.status,
    });
    expect(support.sms_url).toBe(before.sms);
    expect(support.voice_url).toBe(before.voice);
    expect(support.voice_method).toBe('GET');
    expect(support.status_callback).toBe(before.status);

    const capturePath = join(cli.cwd, 'cap.jsonl');
    expect(statSync(capturePath).mode & 0o777).toBe(0o600);
    const records = readFileSync(capturePath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      v: 1,
      method: 'POST',
      url: `${PUBLIC}/sms?src=twilio`,
      body: signed.body,
      response: { status: 200, body: TWIML },
    });
    expect(records[2].retryOf).toBe(records[0].id);
    const verdicts = records.map(
      (rec) =>
        verifyRequest({
          url: rec.url,
          signature: rec.headers['x-twilio-signature'],
          body: rec.body,
          authTokens: [emu.authToken],
        }).valid,
    );
    expect(verdicts).toEqual([true, false, true]);
    expect(cli.stdout.text()).not.toContain(emu.authToken);
  });

  it('without an auth token, still runs and shows verdicts as unchecked', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const cli = startCli(['dev', app.url, '--public-url', PUBLIC, '--no-capture', '--json'], {
      env: { TWHOOK_API_URL: emu.url },
    });
    const r = await ready(cli);
    expect(r).toMatchObject({ signatures: 'unchecked', numbers: [], capture: null });
    await post(`${r.proxyUrl}/status`, 'MessageSid=SM1&MessageStatus=delivered');
    const event = await waitFor('a request', () => cli.json().find((e) => e.type === 'request'));
    expect(event).toMatchObject({
      kind: 'message-status',
      verdict: { status: 'unchecked', reason: 'unchecked (set TWILIO_AUTH_TOKEN)' },
    });
    cli.interrupt();
    expect(await cli.exit).toBe(0);
  });

  it('shows the app being down in the live view and answers 502', async () => {
    const emu = await useEmulator();
    const app = await startApp(() => undefined);
    await app.close();
    const cli = startCli(['dev', String(app.port), '--public-url', PUBLIC, '--no-capture'], {
      env: { ...emu.env, NO_COLOR: '1' },
      tty: true,
    });
    const proxyUrl = await waitFor('the banner', () => /→ (http:\/\/127\.0\.0\.1:\d+) →/.exec(cli.stderr.text())?.[1]);
    const answer = await post(`${proxyUrl}/sms`, new URLSearchParams(inboundSms).toString());
    expect(answer.status).toBe(502);
    await waitFor('the request line', () => cli.stdout.text().includes('nothing listening'));
    const out = cli.stdout.text();
    expect(out).toMatch(
      /\d\d:\d\d:\d\d {2}#1 {3}POST {2}\/sms {4}inbound-sms {2}✗ unsigned {2}502 +\d+ ms {2}\+1555… → \+1415…: Hello there/,
    );
    expect(out).toContain(
      `✗ nothing listening on localhost:${app.port}: start your app (Twilio error 11200 HTTP retrieval failure)`,
    );
    cli.interrupt();
    expect(await cli.exit).toBe(0);
    expect(cli.stderr.text()).toContain('stopped (interrupted)');
  });

  it('fails a request the app answers slower than --rt, as Twilio would', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => {
      const t = setTimeout(() => res.end('<Response/>'), 3_000);
      res.on('close', () => clearTimeout(t));
    });
    const cli = startCli(['dev', String(app.port), '--public-url', PUBLIC, '--rt', '300', '--no-capture', '--json'], {
      env: emu.env,
    });
    const r = await ready(cli);
    const answer = await post(`${r.proxyUrl}/voice`, 'CallSid=CA1&CallStatus=ringing&From=%2B1555&To=%2B1415');
    expect(answer.status).toBe(504);
    const event = await waitFor('a request', () => cli.json().find((e) => e.type === 'request'));
    expect(event).toMatchObject({ outcome: 'timeout', status: 504, twilioError: { code: 11200 } });
    expect(event.failure).toMatch(/did not answer within 300 ms/);
    cli.interrupt();
    await cli.exit;
  });

  it('--enforce-signatures refuses forged requests with 403 before the app', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('<Response/>'));
    const cli = startCli(
      ['dev', String(app.port), '--public-url', PUBLIC, '--enforce-signatures', '--no-capture', '--json'],
      { env: emu.env },
    );
    const r = await ready(cli);
    expect(r.enforceSignatures).toBe(true);
    const signed = signRequest({ authToken: emu.authToken, url: `${PUBLIC}/sms`, params: inboundSms });
    expect((await post(`${r.proxyUrl}/sms`, signed.body, { 'X-Twilio-Signature': signed.signature })).status).toBe(200);
    expect(
      (await post(`${r.proxyUrl}/sms`, signed.body, { 'X-Twilio-Signature': 'AAAA' + signed.signature.slice(4) }))
        .status,
    ).toBe(403);
    expect((await post(`${r.proxyUrl}/sms`, signed.body)).status).toBe(403);
    expect(app.seen).toHaveLength(1);
    cli.interrupt();
    await cli.exit;
  });

  it('--enforce-signatures without an auth token is a usage error', async () => {
    const cli = startCli(['dev', '3000', '--public-url', PUBLIC, '--enforce-signatures'], { env: {} });
    expect(await cli.exit).toBe(2);
    expect(cli.stderr.text()).toMatch(/--enforce-signatures needs the auth token/);
  });

  it("--basic-auth puts the credentials in the numbers' URLs, challenges without them, never shows the password", async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => {
      res.setHeader('Content-Type', 'text/xml');
      res.end('<Response/>');
    });
    const support = [...emu.state.api2010.numbers.values()][0]!;
    const cli = startCli(
      [
        'dev',
        String(app.port),
        '--public-url',
        PUBLIC,
        '--number',
        support.sid,
        '--basic-auth',
        'twilio:pa55-word-xyz',
        '--no-voice',
        '--json',
        '--verbose',
      ],
      { env: emu.env },
    );
    const r = await ready(cli);
    expect(support.sms_url).toBe('https://twilio:pa55-word-xyz@dev.example.test/sms');
    expect(r.numbers[0].urls.SmsUrl).toBe(`${PUBLIC}/sms`);
    expect(support.voice_url).toBe('https://app.example.com/voice#rc=3&ct=2000');
    const signed = signRequest({
      authToken: emu.authToken,
      url: 'https://twilio:pa55-word-xyz@dev.example.test/sms',
      params: inboundSms,
    });
    const bare = await post(`${r.proxyUrl}/sms`, signed.body, { 'X-Twilio-Signature': signed.signature });
    expect(bare.status).toBe(401);
    expect(bare.headers['www-authenticate']).toMatch(/^Basic /);
    const auth = 'Basic ' + Buffer.from('twilio:pa55-word-xyz').toString('base64');
    const ok = await post(`${r.proxyUrl}/sms`, signed.body, {
      'X-Twilio-Signature': signed.signature,
      Authorization: auth,
    });
    expect(ok.status).toBe(200);
    const events = await waitFor('two requests', () => {
      const list = cli.json().filter((e) => e.type === 'request');
      return list.length === 2 && list;
    });
    expect(events.map((e) => e.outcome)).toEqual(['challenged', 'answered']);
    expect(events[1].verdict).toMatchObject({ status: 'valid', matchedUrl: 'with-credentials' });
    cli.interrupt();
    await cli.exit;
    expect(support.sms_url).toBe('https://app.example.com/sms');
    const everything = cli.stdout.text() + cli.stderr.text();
    expect(everything).not.toContain('pa55-word-xyz');
    expect(everything).not.toContain(Buffer.from('twilio:pa55-word-xyz').toString('base64'));
  });

  it('--exec starts the app with TWHOOK_PUBLIC_URL, shows its output and stops it on exit', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    // The handler first: the test stops the app as soon as it has printed its line.
    const script = `process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); setInterval(() => {}, 1000); process.stdout.write('public ' + process.env.TWHOOK_PUBLIC_URL + '\\n');`;
    const cli = startCli(
      ['dev', String(app.port), '--public-url', PUBLIC, '--no-capture', '--exec', `node -e "${script}"`],
      { env: { ...emu.env, PATH: process.env.PATH ?? '' } },
    );
    await waitFor('the app output', () => cli.stderr.text().includes(`app | public ${PUBLIC}`));
    cli.interrupt();
    expect(await cli.exit).toBe(0);
    expect(cli.stderr.text()).toContain('app | bye');
  });

  it('50 concurrent requests through a session all reach the app and are all captured', async () => {
    const emu = await useEmulator();
    const app = await startApp((req, res, body) => setTimeout(() => res.end(`${req.url} ${body}`), 2));
    const cli = startCli(['dev', String(app.port), '--public-url', PUBLIC, '--capture', 'c.jsonl', '--json'], {
      env: emu.env,
    });
    const r = await ready(cli);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => post(`${r.proxyUrl}/r/${i}`, `n=${i}`)));
    answers.forEach((a, i) => expect(a.body).toBe(`/r/${i} n=${i}`));
    cli.interrupt();
    await cli.exit;
    expect(cli.json().filter((e) => e.type === 'request')).toHaveLength(50);
    const lines = readFileSync(join(cli.cwd, 'c.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(50);
    expect(new Set(lines.map((l) => JSON.parse(l).url)).size).toBe(50);
  });

  it('refuses a body over --body-limit with 413', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const cli = startCli(
      ['dev', String(app.port), '--public-url', PUBLIC, '--body-limit', '1kb', '--no-capture', '--json'],
      { env: emu.env },
    );
    const r = await ready(cli);
    expect((await post(`${r.proxyUrl}/sms`, 'x'.repeat(2000))).status).toBe(413);
    const event = await waitFor('a request', () => cli.json().find((e) => e.type === 'request'));
    expect(event).toMatchObject({ outcome: 'too-large', status: 413 });
    expect(app.seen).toHaveLength(0);
    cli.interrupt();
    await cli.exit;
  });

  it('a number that does not exist: exit 2, nothing changed', async () => {
    const emu = await useEmulator();
    const cli = startCli(['dev', '3000', '--public-url', PUBLIC, '--number', '+19999999999'], { env: emu.env });
    expect(await cli.exit).toBe(2);
    expect(cli.stderr.text()).toMatch(/no number \+19999999999 on account/);
  });

  it('without NGROK_AUTHTOKEN and --public-url, says how to get a token before trying', async () => {
    const cli = startCli(['dev', '3000'], { env: {} });
    expect(await cli.exit).toBe(2);
    expect(cli.stderr.text()).toMatch(/ngrok needs an authtoken: set NGROK_AUTHTOKEN .*--public-url/);
  });

  it('a capture file that cannot be written: exit 2 naming it', async () => {
    const emu = await useEmulator();
    const cwd = tempDir();
    writeFileSync(join(cwd, 'a-file'), 'not a folder');
    const cli = startCli(['dev', '3000', '--public-url', PUBLIC, '--capture', 'a-file/c.jsonl'], { env: emu.env, cwd });
    expect(await cli.exit).toBe(2);
    expect(cli.stderr.text()).toMatch(/cannot write the capture file .*a-file\/c\.jsonl: E[A-Z]+; .*--no-capture/);
  });
});
