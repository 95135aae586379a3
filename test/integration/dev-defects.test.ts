// Issue 11 (dev): what `twhook dev` says when things go wrong, and where it sends requests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import twilio from 'twilio';
import { signRequest } from '../../src/webhooks/signature.js';
import { useEmulator } from '../support/emulator.js';
import { post, startApp, startCli, waitFor } from '../support/dev-session.js';

const inboundSms = { MessageSid: 'SM0123456789abcdef0123456789abcdef', AccountSid: 'AC1', From: '+15551230000', To: '+14155550100', Body: 'Hello', NumMedia: '0' };

/**
 * An app that checks signatures as Express apps behind a proxy do: its URL rebuilt from
 * X-Forwarded-Proto, X-Forwarded-Host and the path it received; 403 when the signature fails.
 */
async function validatingApp(authToken: string, trustProxy = true) {
  return startApp((req: IncomingMessage, res, body) => {
    const proto = trustProxy ? (req.headers['x-forwarded-proto'] as string) : 'http';
    const host = trustProxy ? (req.headers['x-forwarded-host'] as string) : req.headers.host;
    const url = `${proto}://${host}${req.url}`;
    const ok = twilio.validateRequest(authToken, req.headers['x-twilio-signature'] as string, url, Object.fromEntries(new URLSearchParams(body)));
    res.statusCode = ok ? 200 : 403;
    res.setHeader('Content-Type', 'text/xml');
    res.end(ok ? '<Response/>' : 'forbidden');
  });
}

function ready(cli: ReturnType<typeof startCli>) {
  return waitFor('the ready event', () => cli.json().find((e) => e.type === 'ready'));
}

const PUBLIC = 'https://dev.example.test';

describe('twhook dev: restore errors', () => {
  it('a restore that cannot read the journal names the phone number and ends in error', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const cli = startCli(['dev', String(app.port), '--public-url', PUBLIC, '--number', '+14155550100', '--no-capture'], { env: { ...emu.env, NO_COLOR: '1' } });
    await waitFor('the banner', () => cli.stderr.text().includes('Waiting for webhooks'));
    writeFileSync(join(cli.configDir, 'journal.json'), '{ torn');
    cli.interrupt();
    expect(await cli.exit).toBe(3);
    const err = cli.stderr.text();
    expect(err).toMatch(/cannot read the journal to restore \+14155550100: /);
    expect(err).toContain('✗ +14155550100 NOT restored');
    expect(err).toContain('could not restore +14155550100');
  });
});

describe('twhook dev: an app with a base path', () => {
  it('points the numbers at the app\'s path and forwards it unchanged, so the app and twhook agree', async () => {
    const emu = await useEmulator();
    const app = await validatingApp(emu.authToken);
    const number = [...emu.state.api2010.numbers.values()][0]!;
    const cli = startCli(['dev', `${app.url}/twilio`, '--public-url', PUBLIC, '--number', '+14155550100', '--no-capture', '--json'], { env: emu.env });
    const r = await ready(cli);
    expect(number.sms_url).toBe(`${PUBLIC}/twilio/sms`);
    expect(r.numbers[0].urls).toMatchObject({ SmsUrl: `${PUBLIC}/twilio/sms`, VoiceUrl: `${PUBLIC}/twilio/voice` });
    const signed = signRequest({ authToken: emu.authToken, url: number.sms_url!, params: inboundSms });
    const answer = await post(`${r.proxyUrl}/twilio/sms`, signed.body, { 'X-Twilio-Signature': signed.signature, Host: 'dev.example.test' });
    expect(answer.status).toBe(200);
    expect(app.seen[0]!.url).toBe('/twilio/sms');
    const event = await waitFor('the request', () => cli.json().find((e) => e.type === 'request'));
    expect(event.verdict.status).toBe('valid');
    expect(event.request.url).toBe(`${PUBLIC}/twilio/sms`);
    cli.interrupt();
    expect(await cli.exit).toBe(0);
  });

  it('--public-url with a path: the verdict is for the full public URL the request arrived at', async () => {
    const emu = await useEmulator();
    const app = await validatingApp(emu.authToken);
    const base = 'https://example.test/base';
    const number = [...emu.state.api2010.numbers.values()][0]!;
    const cli = startCli(['dev', String(app.port), '--public-url', base, '--number', '+14155550100', '--no-capture', '--json'], { env: emu.env });
    const r = await ready(cli);
    expect(number.sms_url).toBe(`${base}/sms`);
    const signed = signRequest({ authToken: emu.authToken, url: `${base}/sms`, params: inboundSms });
    // A tunnel that passes the whole path on...
    const whole = await post(`${r.proxyUrl}/base/sms`, signed.body, { 'X-Twilio-Signature': signed.signature, Host: 'example.test' });
    expect(whole.status).toBe(200);
    expect(app.seen[0]!.url).toBe('/base/sms');
    // ...and one that strips its base: the same public URL either way.
    await post(`${r.proxyUrl}/sms`, signed.body, { 'X-Twilio-Signature': signed.signature, Host: 'example.test' });
    const events = await waitFor('two requests', () => {
      const list = cli.json().filter((e) => e.type === 'request');
      return list.length === 2 && list;
    });
    for (const e of events) {
      expect(e.request.url).toBe(`${base}/sms`);
      expect(e.verdict.status).toBe('valid');
    }
    cli.interrupt();
    await cli.exit;
  });

  it('says in one line when the app refuses a correctly signed request, with both URLs', async () => {
    const emu = await useEmulator();
    // An app that does not trust X-Forwarded-*: it sees http, and refuses what Twilio signed over https.
    const app = await validatingApp(emu.authToken, false);
    const cli = startCli(['dev', String(app.port), '--public-url', PUBLIC, '--no-capture', '--json'], { env: emu.env });
    const r = await ready(cli);
    const signed = signRequest({ authToken: emu.authToken, url: `${PUBLIC}/sms`, params: inboundSms });
    const answer = await post(`${r.proxyUrl}/sms`, signed.body, { 'X-Twilio-Signature': signed.signature, Host: 'dev.example.test' });
    expect(answer.status).toBe(403);
    const event = await waitFor('the request', () => cli.json().find((e) => e.type === 'request'));
    expect(event.verdict.status).toBe('valid');
    expect(event.warnings).toContain(
      `the app refused a correctly signed request (403): Twilio signed ${PUBLIC}/sms; the app most likely validated against http://dev.example.test/sms`,
    );
    cli.interrupt();
    await cli.exit;
  });

  it('--public-url http://… warns that the traffic is unencrypted', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const cli = startCli(['dev', String(app.port), '--public-url', 'http://dev.example.test', '--no-capture', '--json'], { env: emu.env });
    await ready(cli);
    expect(cli.json().find((e) => e.type === 'warning')).toMatchObject({ message: expect.stringMatching(/^--public-url http:\/\/dev\.example\.test is plain http: .*use https$/) });
    cli.interrupt();
    await cli.exit;
  });
});
