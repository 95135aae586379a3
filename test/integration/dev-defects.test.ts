// Issue 11 (dev): what `twhook dev` says when things go wrong, and where it sends requests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { RemoteError } from '../../src/errors.js';
import { startProxy } from '../../src/dev/server.js';
import type { RequestEvent } from '../../src/dev/events.js';
import { createTwilioPort } from '../../src/twilio/client.js';
import { runCli } from '../support/run-cli.js';
import twilio from 'twilio';
import { signRequest } from '../../src/webhooks/signature.js';
import { useEmulator } from '../support/emulator.js';
import { post, startApp, startCli, waitFor } from '../support/dev-session.js';

const inboundSms = {
  MessageSid: 'SM0123456789abcdef0123456789abcdef',
  AccountSid: 'AC1',
  From: '+15551230000',
  To: '+14155550100',
  Body: 'Hello',
  NumMedia: '0',
};

/**
 * An app that checks signatures as Express apps behind a proxy do: its URL rebuilt from
 * X-Forwarded-Proto, X-Forwarded-Host and the path it received; 403 when the signature fails.
 */
async function validatingApp(authToken: string, trustProxy = true) {
  return startApp((req: IncomingMessage, res, body) => {
    const proto = trustProxy ? (req.headers['x-forwarded-proto'] as string) : 'http';
    const host = trustProxy ? (req.headers['x-forwarded-host'] as string) : req.headers.host;
    const url = `${proto}://${host}${req.url}`;
    const ok = twilio.validateRequest(
      authToken,
      req.headers['x-twilio-signature'] as string,
      url,
      Object.fromEntries(new URLSearchParams(body)),
    );
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
    const cli = startCli(
      ['dev', String(app.port), '--public-url', PUBLIC, '--number', '+14155550100', '--no-capture'],
      { env: { ...emu.env, NO_COLOR: '1' } },
    );
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
  it("points the numbers at the app's path and forwards it unchanged, so the app and twhook agree", async () => {
    const emu = await useEmulator();
    const app = await validatingApp(emu.authToken);
    const number = [...emu.state.api2010.numbers.values()][0]!;
    const cli = startCli(
      ['dev', `${app.url}/twilio`, '--public-url', PUBLIC, '--number', '+14155550100', '--no-capture', '--json'],
      { env: emu.env },
    );
    const r = await ready(cli);
    expect(number.sms_url).toBe(`${PUBLIC}/twilio/sms`);
    expect(r.numbers[0].urls).toMatchObject({ SmsUrl: `${PUBLIC}/twilio/sms`, VoiceUrl: `${PUBLIC}/twilio/voice` });
    expect(r.webhookBase).toBe(`${PUBLIC}/twilio`);
    const signed = signRequest({ authToken: emu.authToken, url: number.sms_url!, params: inboundSms });
    const answer = await post(`${r.proxyUrl}/twilio/sms`, signed.body, {
      'X-Twilio-Signature': signed.signature,
      Host: 'dev.example.test',
    });
    expect(answer.status).toBe(200);
    expect(app.seen[0]!.url).toBe('/twilio/sms');
    const event = await waitFor('the request', () => cli.json().find((e) => e.type === 'request'));
    expect(event.verdict.status).toBe('valid');
    expect(event.request.url).toBe(`${PUBLIC}/twilio/sms`);
    cli.interrupt();
    expect(await cli.exit).toBe(0);
  });

  it("--events: the temporary sink delivers below the app's base path too", async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.writeHead(204).end());
    const cli = startCli(
      [
        'dev',
        `${app.url}/twilio`,
        '--public-url',
        PUBLIC,
        '--events',
        'com.twilio.messaging.message.delivered',
        '--no-capture',
        '--json',
      ],
      { env: emu.env },
    );
    const r = await ready(cli);
    const [sink] = emu.state.events.sinks.values();
    expect(sink!.configuration.destination).toBe(`${PUBLIC}/twilio/events`);
    expect(r.events.url).toBe(`${PUBLIC}/twilio/events`);
    cli.interrupt();
    expect(await cli.exit).toBe(0);
  });

  it('--public-url with a path: the verdict is for the full public URL the request arrived at', async () => {
    const emu = await useEmulator();
    const app = await validatingApp(emu.authToken);
    const base = 'https://example.test/base';
    const number = [...emu.state.api2010.numbers.values()][0]!;
    const cli = startCli(
      ['dev', String(app.port), '--public-url', base, '--number', '+14155550100', '--no-capture', '--json'],
      { env: emu.env },
    );
    const r = await ready(cli);
    expect(number.sms_url).toBe(`${base}/sms`);
    const signed = signRequest({ authToken: emu.authToken, url: `${base}/sms`, params: inboundSms });
    // A tunnel that passes the whole path on...
    const whole = await post(`${r.proxyUrl}/base/sms`, signed.body, {
      'X-Twilio-Signature': signed.signature,
      Host: 'example.test',
    });
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
    const answer = await post(`${r.proxyUrl}/sms`, signed.body, {
      'X-Twilio-Signature': signed.signature,
      Host: 'dev.example.test',
    });
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
    const cli = startCli(
      ['dev', String(app.port), '--public-url', 'http://dev.example.test', '--no-capture', '--json'],
      { env: emu.env },
    );
    await ready(cli);
    expect(cli.json().find((e) => e.type === 'warning')).toMatchObject({
      message: expect.stringMatching(/^--public-url http:\/\/dev\.example\.test is plain http: .*use https$/),
    });
    cli.interrupt();
    await cli.exit;
  });
});

const rawServers: (() => void)[] = [];
afterEach(() => {
  while (rawServers.length) rawServers.pop()!();
});

/** A server that answers each request with `reply(firstLine)` as raw bytes: broken HTTP on demand. */
async function rawServer(reply: (requestLine: string) => string): Promise<number> {
  const server = createTcpServer((socket) => {
    let seen = '';
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      socket.end(reply(seen.split('\r\n')[0]!));
      seen = '';
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rawServers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

const NOT_HTTP = 'HTTX/1.1 200 OK\r\n\r\n';

describe('a refused connection, a timeout and an unreadable reply are told apart', () => {
  it('dev: a reply that is not HTTP is no "app down": the request may have been carried out', async () => {
    const port = await rawServer(() => NOT_HTTP);
    const events: RequestEvent[] = [];
    const proxy = await startProxy({
      target: `http://127.0.0.1:${port}`,
      targetLabel: `localhost:${port}`,
      onEvent: (e) => events.push(e),
    });
    try {
      const answer = await post(`${proxy.url}/sms`, 'Body=hi');
      expect(answer.status).toBe(502);
      expect(events[0]).toMatchObject({ outcome: 'app-error', status: 502 });
      expect(events[0]!.failure).toMatch(
        new RegExp(
          `^localhost:${port} answered with a reply that is not valid HTTP \\(.+\\): the request may have been carried out$`,
        ),
      );
    } finally {
      await proxy.close(100);
    }
  });

  it('trigger --timeout 1 against a slow app: "did not answer within 1 s", not "start your app"', async () => {
    const app = await startApp((_req, res) => {
      const t = setTimeout(() => res.end('<Response/>'), 3_000);
      res.on('close', () => clearTimeout(t));
    });
    const r = await runCli(['trigger', 'sms', '--to', `${app.url}/sms`, '--timeout', '1'], {
      env: { TWILIO_AUTH_TOKEN: 'a'.repeat(32) },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `error: 127.0.0.1:${app.port} did not answer within 1.0 s: Twilio would have given up: the app is running but slow: make it answer sooner, or raise --timeout\n`,
    );
  });

  it('trigger against an app whose reply is not HTTP: says the request may have been carried out', async () => {
    const port = await rawServer(() => NOT_HTTP);
    const r = await runCli(['trigger', 'sms', '--to', `http://127.0.0.1:${port}/sms`], {
      env: { TWILIO_AUTH_TOKEN: 'a'.repeat(32) },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: 127\\.0\\.0\\.1:${port} answered with a reply that is not valid HTTP .*: the request may have been carried out: check what the app did before sending it again\n$`,
      ),
    );
    expect(r.stderr).not.toContain('start your app');
  });
});

describe('a Twilio DELETE whose reply cannot be read', () => {
  const SINK = 'DG' + '0'.repeat(32);
  const port = (apiPort: number) =>
    createTwilioPort({
      credentials: {
        accountSid: { value: 'AC' + 'a'.repeat(32), source: 'env' },
        authTokens: [{ value: 'b'.repeat(32), source: 'env' }],
      },
      apiUrl: `http://127.0.0.1:${apiPort}`,
      env: { TWHOOK_MAX_RETRIES: '0', TWHOOK_RETRY_BASE_MS: '1' },
    });
  const json = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    return `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`;
  };
  const sink = {
    sid: SINK,
    account_sid: 'AC' + 'a'.repeat(32),
    description: 'x',
    sink_type: 'webhook',
    status: 'active',
    sink_configuration: {},
    links: {},
    url: '',
  };

  it('is checked with a GET: gone means the delete worked', async () => {
    const api = await rawServer((line) =>
      line.startsWith('DELETE') ? NOT_HTTP : json(404, { code: 20404, message: 'not found', status: 404 }),
    );
    const twilio = await port(api);
    await expect(twilio.events.sinks.remove(SINK)).resolves.toBeUndefined();
  });

  it('a resource still there after the unreadable reply: says so, and that the DELETE may have run', async () => {
    const api = await rawServer((line) => (line.startsWith('DELETE') ? NOT_HTTP : json(200, sink)));
    const twilio = await port(api);
    const err = await twilio.events.sinks.remove(SINK).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+ \(the --api-url \/ TWHOOK_API_URL server\) answered DELETE \/v1\/Sinks\/DG0+, but its reply could not be read \(HPE_\w+\): the request may have been carried out, yet it still exists: run the delete again$/,
    );
  });
});
