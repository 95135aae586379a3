import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/dev/events.js';
import { startProxy, type ProxyOptions, type ProxyServer } from '../../src/dev/server.js';

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function app(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
): Promise<{ port: number; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, seen, server };
}

async function proxyTo(
  port: number,
  options: Partial<ProxyOptions> = {},
): Promise<{ proxy: ProxyServer; events: RequestEvent[] }> {
  const events: RequestEvent[] = [];
  const proxy = await startProxy({ target: `http://127.0.0.1:${port}`, onEvent: (e) => events.push(e), ...options });
  proxy.setPublicUrl('https://abc.example.test');
  cleanups.push(() => proxy.close(100));
  return { proxy, events };
}

interface Answer {
  status: number;
  rawHeaders: string[];
  headers: IncomingMessage['headers'];
  body: Buffer;
}

function send(
  url: string,
  options: { method?: string; path?: string; headers?: string[]; body?: Buffer | string } = {},
): Promise<Answer> {
  const target = new URL(url);
  const headers = [...(options.headers ?? [])];
  const names = headers.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  if (!names.includes('host')) headers.push('Host', target.host);
  if (options.body !== undefined && !names.includes('transfer-encoding'))
    headers.push('Content-Length', String(Buffer.byteLength(options.body)));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/',
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            rawHeaders: res.rawHeaders,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const form = 'From=%2B15551230000&To=%2B15017122661&Body=Hello+%F0%9F%91%8B&MessageSid=SM123';

describe('proxy forwarding', () => {
  it('passes method, path, query, headers and body byte for byte and adds X-Forwarded-*', async () => {
    const target = await app((_req, res) => {
      res.writeHead(200, 'Fine', [
        'Content-Type',
        'text/xml',
        'X-Custom-Case',
        'MiXeD',
        'Set-Cookie',
        'a=1',
        'Set-Cookie',
        'b=2',
      ]);
      res.end('<Response><Message>Hi</Message></Response>');
    });
    const { proxy, events } = await proxyTo(target.port, {
      inspect: () => ({ kind: 'sms', gist: 'Hello', expectsTwiml: true, channel: 'messaging' }),
    });
    const answer = await send(proxy.url, {
      path: '/sms?x=1&y=%20z',
      headers: [
        'Host',
        'abc.example.test',
        'Content-Type',
        'application/x-www-form-urlencoded',
        'X-Twilio-Signature',
        'sig=',
        'X-CaSe-Kept',
        'v',
        'X-Forwarded-For',
        '54.0.0.1',
      ],
      body: form,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('<Response><Message>Hi</Message></Response>');
    expect(answer.rawHeaders).toEqual(expect.arrayContaining(['X-Custom-Case', 'MiXeD']));
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);

    const seen = target.seen[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/sms?x=1&y=%20z');
    expect(seen.body.toString()).toBe(form);
    const headerPairs = [];
    for (let i = 0; i < seen.rawHeaders.length; i += 2) headerPairs.push([seen.rawHeaders[i], seen.rawHeaders[i + 1]]);
    expect(headerPairs).toContainEqual([expect.stringMatching(/^host$/i), 'abc.example.test']);
    expect(headerPairs).toEqual(
      expect.arrayContaining([
        ['X-Twilio-Signature', 'sig='],
        ['X-CaSe-Kept', 'v'],
        ['X-Forwarded-Proto', 'https'],
        ['X-Forwarded-Host', 'abc.example.test'],
        ['X-Forwarded-For', '54.0.0.1, 127.0.0.1'],
      ]),
    );

    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e).toMatchObject({
      id: 1,
      outcome: 'answered',
      status: 200,
      kind: 'sms',
      expectsTwiml: true,
      verdict: { status: 'unchecked' },
      request: {
        method: 'POST',
        path: '/sms?x=1&y=%20z',
        url: 'https://abc.example.test/sms?x=1&y=%20z',
        body: form,
        bodyEncoding: 'utf8',
      },
      response: { status: 200, contentType: 'text/xml', body: '<Response><Message>Hi</Message></Response>' },
      twiml: { ok: true },
    });
    expect(e.twilioError).toBeUndefined();
  });

  it('streams a chunked answer and keeps a binary body as base64', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    const target = await app((_req, res) => {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.write(bytes);
      setTimeout(() => res.end(bytes), 20);
    });
    const { proxy, events } = await proxyTo(target.port);
    const answer = await send(proxy.url, { method: 'GET', path: '/bin' });
    expect(answer.headers['transfer-encoding']).toBe('chunked');
    expect(answer.body).toEqual(Buffer.concat([bytes, bytes]));
    expect(events[0]!.response).toMatchObject({
      bodyEncoding: 'base64',
      body: Buffer.concat([bytes, bytes]).toString('base64'),
      bytes: 8,
    });
  });

  it('names the TwiML problem and the Twilio error for a JSON answer', async () => {
    const target = await app((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":true}');
    });
    const { proxy, events } = await proxyTo(target.port, {
      inspect: () => ({ kind: 'voice', gist: 'call', expectsTwiml: true }),
    });
    await send(proxy.url, { path: '/voice', body: 'CallSid=CA1' });
    expect(events[0]!.twilioError).toEqual({ code: 12300, message: 'Invalid Content-Type' });
    expect(events[0]!.twiml?.problems[0]).toMatch(/JSON body/);
  });

  it('answers 502 and says nothing is listening when the app is down', async () => {
    const target = await app(() => undefined);
    const port = target.port;
    await new Promise<void>((r) => {
      target.server.close(() => r());
    });
    const { proxy, events } = await proxyTo(port, { targetLabel: `localhost:${port}` });
    const answer = await send(proxy.url, { path: '/sms', body: form });
    expect(answer.status).toBe(502);
    expect(events[0]).toMatchObject({
      outcome: 'app-down',
      status: 502,
      failure: `nothing listening on localhost:${port}: start your app`,
      twilioError: { code: 11200 },
    });
  });

  it('fails a request the app answers slower than the read timeout, as Twilio would', async () => {
    const target = await app((_req, res) => {
      const t = setTimeout(() => res.end('<Response/>'), 2_000);
      res.on('close', () => clearTimeout(t));
    });
    const { proxy, events } = await proxyTo(target.port, { timeoutsFor: () => ({ readMs: 200, totalMs: 200 }) });
    const answer = await send(proxy.url, { path: '/voice', body: 'CallSid=CA1' });
    expect(answer.status).toBe(504);
    expect(events[0]).toMatchObject({ outcome: 'timeout', status: 504, twilioError: { code: 11200 } });
    expect(events[0]!.failure).toMatch(
      /^127\.0\.0\.1:\d+ did not (answer|finish answering) within 200 ms .*\/voice.*Twilio gives up/,
    );
  });

  it('refuses a body over the limit with 413 before the app sees it', async () => {
    const target = await app((_req, res) => res.end('ok'));
    const { proxy, events } = await proxyTo(target.port, { bodyLimit: 1024 });
    const big = await send(proxy.url, { path: '/sms', body: Buffer.alloc(2048, 97) });
    expect(big.status).toBe(413);
    const small = await send(proxy.url, { path: '/sms', body: Buffer.alloc(1024, 97) });
    expect(small.status).toBe(200);
    expect(target.seen).toHaveLength(1);
    expect(events.find((e) => e.outcome === 'too-large')).toMatchObject({
      status: 413,
      failure: 'body over the 1 KiB limit: refused with 413',
    });
  });

  it('refuses a chunked body that grows over the limit', async () => {
    const target = await app((_req, res) => res.end('ok'));
    const { proxy, events } = await proxyTo(target.port, { bodyLimit: 1000 });
    const answer = await send(proxy.url, {
      path: '/sms',
      headers: ['Transfer-Encoding', 'chunked'],
      body: Buffer.alloc(5000, 98),
    });
    expect(answer.status).toBe(413);
    expect(target.seen).toHaveLength(0);
    expect(events[0]!.outcome).toBe('too-large');
  });

  it('forwards 50 concurrent requests, each to its own answer', async () => {
    const target = await app((req, res, body) => {
      setTimeout(() => res.end(`echo ${req.url} ${body.toString()}`), 5);
    });
    const { proxy, events } = await proxyTo(target.port);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(proxy.url, { path: `/r/${i}`, body: `n=${i}` })),
    );
    answers.forEach((a, i) => expect(a.body.toString()).toBe(`echo /r/${i} n=${i}`));
    expect(events).toHaveLength(50);
    expect(new Set(events.map((e) => e.id)).size).toBe(50);
    expect(events.every((e) => e.outcome === 'answered')).toBe(true);
  });

  it('with enforceSignatures, answers 403 to an invalid request and never forwards it', async () => {
    const target = await app((_req, res) => res.end('ok'));
    const { proxy, events } = await proxyTo(target.port, {
      enforceSignatures: true,
      verify: ({ headers }) =>
        headers['x-twilio-signature'] === 'good'
          ? { status: 'valid', reason: 'matches' }
          : headers['x-twilio-signature']
            ? { status: 'invalid', reason: 'signature does not match the URL and body' }
            : { status: 'unsigned', reason: 'no X-Twilio-Signature header' },
    });
    expect((await send(proxy.url, { path: '/sms', headers: ['X-Twilio-Signature', 'bad'], body: form })).status).toBe(
      403,
    );
    expect((await send(proxy.url, { path: '/sms', body: form })).status).toBe(403);
    expect((await send(proxy.url, { path: '/sms', headers: ['X-Twilio-Signature', 'good'], body: form })).status).toBe(
      200,
    );
    expect(target.seen).toHaveLength(1);
    expect(events.map((e) => e.outcome)).toEqual(['forbidden', 'forbidden', 'answered']);
    expect(events[0]!.failure).toBe('refused with 403: signature does not match the URL and body');
  });

  it('with basic auth, challenges a request without credentials and passes the retry with them', async () => {
    const target = await app((_req, res) => res.end('ok'));
    const { proxy, events } = await proxyTo(target.port, {
      basicAuth: { username: 'twilio', password: 's3cret-pass' },
    });
    const bare = await send(proxy.url, { path: '/sms', body: form });
    expect(bare.status).toBe(401);
    expect(bare.headers['www-authenticate']).toBe('Basic realm="twhook"');
    const wrong = await send(proxy.url, {
      path: '/sms',
      headers: ['Authorization', 'Basic ' + Buffer.from('twilio:nope').toString('base64')],
      body: form,
    });
    expect(wrong.status).toBe(401);
    const auth = 'Basic ' + Buffer.from('twilio:s3cret-pass').toString('base64');
    const ok = await send(proxy.url, { path: '/sms', headers: ['Authorization', auth], body: form });
    expect(ok.status).toBe(200);
    expect(target.seen).toHaveLength(1);
    expect(events.map((e) => e.outcome)).toEqual(['challenged', 'challenged', 'answered']);
    expect(JSON.stringify(events)).not.toContain(Buffer.from('twilio:s3cret-pass').toString('base64'));
    expect(events[2]!.request.headers).toContainEqual(['Authorization', 'Basic [redacted]']);
  });

  it('marks a request whose idempotency token was seen before as a retry of the first', async () => {
    const target = await app((_req, res) => res.end('ok'));
    const { proxy, events } = await proxyTo(target.port);
    await send(proxy.url, { path: '/sms', headers: ['I-Twilio-Idempotency-Token', 'tok-1'], body: form });
    await send(proxy.url, { path: '/sms', headers: ['I-Twilio-Idempotency-Token', 'tok-2'], body: form });
    await send(proxy.url, { path: '/sms', headers: ['I-Twilio-Idempotency-Token', 'tok-1'], body: form });
    expect(events.map((e) => [e.id, e.idempotencyToken, e.retryOf])).toEqual([
      [1, 'tok-1', undefined],
      [2, 'tok-2', undefined],
      [3, 'tok-1', 1],
    ]);
  });

  it('forwards under the base path of the target', async () => {
    const target = await app((_req, res) => res.end('ok'));
    const events: RequestEvent[] = [];
    const proxy = await startProxy({ target: `http://127.0.0.1:${target.port}/api/`, onEvent: (e) => events.push(e) });
    cleanups.push(() => proxy.close(100));
    await send(proxy.url, { path: '/sms?a=b', body: form });
    expect(target.seen[0]!.url).toBe('/api/sms?a=b');
  });
});
