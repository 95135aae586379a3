/**
 * `twhook verify --endpoint` against real apps on 127.0.0.1: one that validates signatures the
 * way the twilio SDK's docs say, one that does not check at all, one behind a "proxy" that must
 * rebuild its public URL from X-Forwarded-*, and one that checks JSON webhooks' URL but not
 * their body hash.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { parseForm } from '../../src/webhooks/form.js';
import { runCli } from '../support/run-cli.js';

const require = createRequire(import.meta.url);
const sdk = require('twilio/lib/webhooks/webhooks.js') as {
  validateRequest(token: string, sig: string, url: string, params: Record<string, unknown>): boolean;
  validateRequestWithBody(token: string, sig: string, url: string, body: string): boolean;
};
const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';

type Check = (req: IncomingMessage, body: string, url: string) => boolean;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function app(
  check: Check | null,
  options: { publicBase?: (req: IncomingMessage) => string } = {},
): Promise<{ url: string; seen: number }> {
  const state = { url: '', seen: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.seen++;
      const body = Buffer.concat(chunks).toString('utf8');
      const base = options.publicBase ? options.publicBase(req) : `http://${req.headers.host}`;
      const ok = check ? check(req, body, base + req.url) : true;
      res.writeHead(ok ? 200 : 403, { 'content-type': 'text/xml' });
      res.end(ok ? '<Response/>' : 'Twilio Request Validation Failed.');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  return state;
}

const sdkCheck: Check = (req, body, url) => {
  const signature = String(req.headers['x-twilio-signature'] ?? '');
  if (!signature) return false;
  return url.includes('bodySHA256=')
    ? sdk.validateRequestWithBody(TOKEN, signature, url, body)
    : sdk.validateRequest(TOKEN, signature, url, { ...parseForm(body) });
};

interface Probe {
  ok: boolean;
  verdict: string;
  results: Array<{ case: string; expect: string; status: number; ok: boolean }>;
}

describe('twhook verify --endpoint', () => {
  for (const kind of ['sms', 'voice', 'status', 'event-streams']) {
    it(`passes an app that checks signatures (--kind ${kind})`, async () => {
      const target = await app(sdkCheck);
      const r = await runCli(['verify', '--endpoint', target.url, '--kind', kind, '--auth-token', TOKEN, '--json']);
      const probe = r.json()[0] as Probe;
      expect(probe.results.map((x) => [x.case, x.status])).toEqual([
        ['correctly signed', 200],
        ['no signature', 403],
        ['wrong signature', 403],
        ['body changed after signing', 403],
        ['signed for another URL', 403],
        ...(kind === 'event-streams' ? [['bodySHA256 of another body', 403]] : []),
      ]);
      expect(probe.ok).toBe(true);
      expect(r.code).toBe(0);
    });
  }

  it('fails an app that does not check: "the endpoint accepts forged webhooks"', async () => {
    const target = await app(null);
    const r = await runCli(['verify', '--endpoint', target.url, '--auth-token', TOKEN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: the endpoint accepts forged webhooks \(no signature, wrong signature, body changed after signing, signed for another URL\)/,
    );
    expect(r.stdout).toMatch(/no signature\t4xx\t200\tACCEPTED/);
    expect(r.stderr).toBe(
      "error: the endpoint accepts forged webhooks (no signature, wrong signature, body changed after signing, signed for another URL): check X-Twilio-Signature in the app (the twilio SDK's validateRequest) and answer 403 when it does not match\n",
    );
    expect(target.seen).toBe(5);
  });

  it('fails a JSON app that validates the URL but not bodySHA256', async () => {
    const urlOnly: Check = (req, _body, url) =>
      sdk.validateRequest(TOKEN, String(req.headers['x-twilio-signature'] ?? ''), url, {});
    const target = await app(urlOnly);
    const r = await runCli([
      'verify',
      '--endpoint',
      target.url,
      '--kind',
      'event-streams',
      '--auth-token',
      TOKEN,
      '--json',
    ]);
    expect(r.code).toBe(1);
    const probe = r.json()[0] as Probe;
    expect(probe.verdict).toMatch(
      /the endpoint accepts forged webhooks \(body changed after signing, bodySHA256 of another body\)/,
    );
  });

  it('an app behind a proxy: refused without --public-url, passes with it', async () => {
    const PUBLIC = 'https://abc123.ngrok.app/sms';
    const behindProxy = await app(sdkCheck, {
      publicBase: (req) =>
        `${req.headers['x-forwarded-proto'] ?? 'http'}://${req.headers['x-forwarded-host'] ?? req.headers.host}`,
    });
    const direct = await runCli(['verify', '--endpoint', behindProxy.url, '--auth-token', TOKEN]);
    expect(direct.code).toBe(0);
    // The app only knows its public URL (as if configured with it): signing for the local URL fails.
    const fixed = await app(sdkCheck, { publicBase: () => 'https://abc123.ngrok.app' });
    const refused = await runCli(['verify', '--endpoint', fixed.url, '--auth-token', TOKEN]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused the correctly signed request \(HTTP 403\).*--public-url/);
    const ok = await runCli(['verify', '--endpoint', fixed.url, '--public-url', PUBLIC, '--auth-token', TOKEN]);
    expect(ok.code).toBe(0);
  });

  it('an app that refuses everything is said to refuse everything, valid requests too', async () => {
    const wall = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(403).end('Forbidden'));
    });
    await new Promise<void>((resolve) => wall.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(wall.address() as AddressInfo).port}/sms`;
      const r = await runCli(['verify', '--endpoint', url, '--auth-token', TOKEN, '--json']);
      expect(r.code).toBe(1);
      const probe = r.json()[0] as Probe;
      expect(probe.verdict).toMatch(
        /^the endpoint refuses everything, valid requests too: it refused the correctly signed request \(HTTP 403\) as well as every forged one \(HTTP 403\)/,
      );
      expect(probe.verdict).not.toContain('accepts forged');
    } finally {
      await new Promise((resolve) => wall.close(resolve));
    }
  });

  it('a forgery answered with 500 is not a proper refusal', async () => {
    // Crashes (500) on a missing signature instead of refusing it; checks the rest properly.
    const five = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!req.headers['x-twilio-signature']) {
          res.writeHead(500).end();
          return;
        }
        const ok = sdkCheck(req, Buffer.concat(chunks).toString('utf8'), `http://${req.headers.host}${req.url}`);
        res.writeHead(ok ? 204 : 401).end();
      });
    });
    servers.push(five);
    await new Promise<void>((resolve) => five.listen(0, '127.0.0.1', resolve));
    const r = await runCli([
      'verify',
      '--endpoint',
      `http://127.0.0.1:${(five.address() as AddressInfo).port}/hook`,
      '--auth-token',
      TOKEN,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/forged requests must be refused with 4xx: got 500 for no signature/);
  });

  it('exit 3 when nothing listens, 2 for bad flags', async () => {
    const target = await app(sdkCheck);
    const url = target.url;
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    const r = await runCli(['verify', '--endpoint', url, '--auth-token', TOKEN]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/sms: ECONNREFUSED/);
    expect((await runCli(['verify', '--endpoint', url, '--kind', 'fax', '--auth-token', TOKEN])).code).toBe(2);
    expect((await runCli(['verify', '--endpoint', 'localhost:3000', '--auth-token', TOKEN])).code).toBe(2);
  });
});
