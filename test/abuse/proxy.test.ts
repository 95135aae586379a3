/**
 * The dev proxy under load and abuse, on loopback only: many concurrent requests, slow senders,
 * oversized bodies and headers, malformed HTTP on raw sockets, callers that vanish mid-request
 * and mid-answer. Whatever one caller does, the proxy keeps answering the others, and a normal
 * request afterwards still goes through. Every loop is bounded in count and time.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/dev/events.js';
import { startProxy, type ProxyOptions, type ProxyServer } from '../../src/dev/server.js';
import { classify } from '../../src/webhooks/kinds.js';
import { signRequest } from '../../src/webhooks/signature.js';
import { verifyAndExplain as verifyRequest } from '../../src/webhooks/signature-explain.js';

const TOKEN = '0123456789abcdef0123456789abcdef';
const PUBLIC = 'https://abuse.ngrok.test';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The app behind the proxy: echoes the path and body as TwiML; a few paths misbehave. */
async function startApp(): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push(`${req.method} ${req.url} ${body.length}`);
      if (req.url?.startsWith('/big-answer')) {
        // 8 MiB in 64 KiB writes, with backpressure: long enough for a caller to leave mid-way.
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        let left = 128;
        const pump = () => {
          while (left > 0) {
            left--;
            if (!res.write(Buffer.alloc(64 * 1024, 120))) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      if (req.url?.startsWith('/slow-answer')) {
        const t = setTimeout(() => res.end('<Response/>'), 1_500);
        res.on('close', () => clearTimeout(t));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(`<Response><Message>${req.url} ${body.length}</Message></Response>`);
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, seen };
}

/** The proxy as `dev` runs it: classifying payloads and checking signatures on every request. */
async function startAbusedProxy(
  options: Partial<ProxyOptions> = {},
  publicUrl: string | null = PUBLIC,
): Promise<{ proxy: ProxyServer; events: RequestEvent[]; app: Awaited<ReturnType<typeof startApp>> }> {
  const app = await startApp();
  const events: RequestEvent[] = [];
  const proxy = await startProxy({
    target: `http://127.0.0.1:${app.port}`,
    bodyLimit: 64 * 1024,
    timeoutsFor: () => ({ readMs: 5_000, totalMs: 5_000 }),
    inspect: (input) => {
      const c = classify({
        method: input.method,
        url: input.path,
        headers: input.headers,
        body: input.body.toString('utf8'),
      });
      return { kind: c.kind, gist: c.gist, expectsTwiml: c.expectsTwiml };
    },
    verify: (input) => {
      const signature = input.headers['x-twilio-signature'];
      const v = verifyRequest({
        url: input.url,
        signature: Array.isArray(signature) ? signature[0] : signature,
        body: input.body,
        headers: input.headers,
        authTokens: [TOKEN],
        method: input.method,
      });
      return { status: v.verdict, reason: v.reason ?? '' };
    },
    onEvent: (e) => events.push(e),
    ...options,
  });
  if (publicUrl) proxy.setPublicUrl(publicUrl);
  cleanups.push(() => proxy.close(200));
  return { proxy, events, app };
}

interface Answer {
  status: number;
  body: string;
}

/** One ordinary, signed webhook through the proxy. */
function webhook(proxy: ProxyServer, path = '/sms', n = 0): Promise<Answer> {
  const signed = signRequest({
    authToken: TOKEN,
    url: `${PUBLIC}${path}`,
    params: {
      From: '+15551230000',
      To: '+15017122661',
      Body: `hello ${n}`,
      MessageSid: `SM${String(n).padStart(32, '0')}`,
    },
  });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${proxy.url}${path}`,
      {
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Twilio-Signature': signed.signature,
          'Content-Length': Buffer.byteLength(signed.body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(signed.body);
  });
}

/** Opens a raw connection to the proxy. */
async function rawSocket(proxy: ProxyServer): Promise<Socket> {
  const socket = connect(proxy.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  cleanups.push(() => void socket.destroy());
  return socket;
}

/** Writes bytes on a raw connection and returns what came back by the time it closed (or `waitMs`). */
async function raw(proxy: ProxyServer, bytes: string | Buffer, waitMs = 3_000): Promise<string> {
  const socket = await rawSocket(proxy);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(bytes);
  await Promise.race([closed, sleep(waitMs)]);
  socket.destroy();
  return Buffer.concat(chunks).toString('latin1');
}

/** The proxy still works: a normal webhook is answered by the app. */
async function stillServes(proxy: ProxyServer, n = 999): Promise<void> {
  const answer = await webhook(proxy, `/sms/after-${n}`, n);
  expect(answer).toEqual({
    status: 200,
    body: `<Response><Message>/sms/after-${n} ${answer.body.match(/ (\d+)</)![1]}</Message></Response>`,
  });
}

// Generous: a deadline for a loaded 2-core machine, not a speed claim (speed is measured in bench/).
async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------

describe('proxy under load', () => {
  it('answers 200 concurrent webhooks, each with its own answer, and reports each once', async () => {
    const { proxy, events, app } = await startAbusedProxy();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => webhook(proxy, `/sms/${i}`, i)));
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      expect(a.body).toMatch(new RegExp(`^<Response><Message>/sms/${i} \\d+</Message></Response>$`));
    });
    await until(() => events.length === 200, '200 events');
    expect(new Set(events.map((e) => e.id)).size).toBe(200);
    expect(
      events.every((e) => e.outcome === 'answered' && e.verdict.status === 'valid' && e.kind === 'inbound-sms'),
    ).toBe(true);
    expect(app.seen).toHaveLength(200);
    await until(() => proxy.inFlight() === 0, 'no request in flight');
  });
});

describe('forgeries under load', () => {
  it('with enforceSignatures, 100 forged webhooks among 100 genuine ones are refused and never reach the app', async () => {
    const { proxy, events, app } = await startAbusedProxy({ enforceSignatures: true });
    const forged = (i: number) =>
      new Promise<Answer>((resolve, reject) => {
        const body = `From=%2B15551230000&Body=forged-${i}`;
        const req = httpRequest(
          `${proxy.url}/sms/forged-${i}`,
          {
            method: 'POST',
            agent: false,
            headers: {
              'Content-Type': 'application/x-www-form-urlencoded',
              'X-Twilio-Signature': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
              'Content-Length': body.length,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? forged(i) : webhook(proxy, `/sms/real-${i}`, i))),
    );
    answers.forEach((a, i) => expect(a.status, `request ${i}`).toBe(i % 2 ? 403 : 200));
    await until(() => events.length === 200, '200 events');
    expect(app.seen.filter((s) => s.includes('forged'))).toEqual([]);
    expect(app.seen).toHaveLength(100);
    expect(events.filter((e) => e.outcome === 'forbidden')).toHaveLength(100);
  });
});

describe('slow senders', () => {
  it('keeps answering others while three callers send one byte a second', async () => {
    const { proxy, events } = await startAbusedProxy();
    const body = 'Body=slow';
    const head = `POST /sms/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
    const slow = await Promise.all([0, 1, 2].map(() => rawSocket(proxy)));
    const replies = slow.map((socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      return () => Buffer.concat(chunks).toString();
    });
    // Two of them dribble the request line and headers, one the body, at a byte a second.
    slow[0]!.write(head.slice(0, 5));
    slow[1]!.write(head.slice(0, 20));
    slow[2]!.write(head);
    const served: Answer[] = [];
    for (let second = 0; second < 3; second++) {
      slow[0]!.write(head[5 + second]!);
      slow[1]!.write(head[20 + second]!);
      slow[2]!.write(body[second]!);
      // Meanwhile, ordinary webhooks go through.
      served.push(
        ...(await Promise.all(Array.from({ length: 5 }, (_, i) => webhook(proxy, `/sms/fast-${second}-${i}`, i)))),
      );
      await sleep(1_000);
    }
    expect(served).toHaveLength(15);
    expect(served.every((a) => a.status === 200)).toBe(true);
    // None of the slow ones is complete yet: nothing of theirs reached the app or got an answer.
    expect(replies.map((r) => r())).toEqual(['', '', '']);
    expect(events.filter((e) => e.request.path.startsWith('/sms/slow'))).toHaveLength(0);
    // They finish: each is answered like any other request.
    slow[0]!.write(head.slice(8) + body);
    slow[1]!.write(head.slice(23) + body);
    slow[2]!.write(body.slice(3));
    await until(() => replies.every((r) => r().includes('</Response>')), 'the slow requests to be answered');
    for (const reply of replies) expect(reply()).toMatch(/^HTTP\/1\.1 200 [^]*<Message>\/sms\/slow 9<\/Message>/);
    await stillServes(proxy);
  });
});

describe('oversized requests', () => {
  it('refuses a declared body over the limit with 413 without reading it, and goes on', async () => {
    const { proxy, events, app } = await startAbusedProxy();
    const reply = await raw(
      proxy,
      `POST /sms/huge HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n${'a'.repeat(1000)}`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply).toContain('twhook: request body over 64 KiB');
    await until(() => events.some((e) => e.outcome === 'too-large'), 'the too-large event');
    expect(app.seen.some((s) => s.includes('/sms/huge'))).toBe(false);
    await stillServes(proxy);
  });

  it('refuses a chunked body that grows over the limit with 413, and goes on', async () => {
    const { proxy, app } = await startAbusedProxy();
    const chunk = Buffer.alloc(16 * 1024, 98);
    const socket = await rawSocket(proxy);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.write('POST /sms/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    // Up to 2 MiB, stopping as soon as the proxy answers.
    for (let i = 0; i < 128 && !chunks.length && !socket.destroyed; i++) {
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
      socket.write('\r\n');
      await sleep(2);
    }
    await until(() => Buffer.concat(chunks).toString().length > 0, 'an answer to the chunked upload');
    expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 413 /);
    expect(app.seen.some((s) => s.includes('/sms/chunked'))).toBe(false);
    await stillServes(proxy);
  });

  it("answers headers over Node's limit with 431 and goes on", async () => {
    const { proxy, events } = await startAbusedProxy();
    const reply = await raw(
      proxy,
      `POST /sms HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(64 * 1024)}\r\nContent-Length: 0\r\n\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
    const many = await raw(
      proxy,
      `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
    );
    expect(many).toMatch(/^HTTP\/1\.1 431 /);
    expect(events).toHaveLength(0);
    await stillServes(proxy);
  });

  it('a 64 KiB form with a forged signature is checked and forwarded, with a verdict', async () => {
    const { proxy, events } = await startAbusedProxy();
    const body = Array.from({ length: 1500 }, (_, i) => `P${i}=${'x'.repeat(30)}`)
      .join('&')
      .slice(0, 64 * 1024);
    const reply = await raw(
      proxy,
      `POST /sms/forged HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Twilio-Signature: forged\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    await until(() => events.length === 1, 'the event');
    expect(events[0]!.verdict.status).toBe('invalid');
    await stillServes(proxy);
  });
});

describe('malformed HTTP', () => {
  const garbage: [string, string | Buffer][] = [
    ['binary garbage', Buffer.from([0, 255, 254, 13, 10, 0, 1, 2, 13, 10, 13, 10])],
    ['a request line with a bad version', 'GET /sms HTTP/9.9\r\nHost: x\r\n\r\n'],
    ['a method with spaces in it', 'PO ST /sms HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a bad chunk size', 'POST /sms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n'],
    [
      'a chunk longer than announced',
      'POST /sms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n',
    ],
    [
      'both Content-Length and Transfer-Encoding (smuggling)',
      'POST /sms HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n',
    ],
    [
      'two different Content-Lengths',
      'POST /sms HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde',
    ],
    ['a negative Content-Length', 'POST /sms HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'],
    [
      'a header split by a bare CR (injection)',
      'POST /sms HTTP/1.1\r\nHost: x\r\nX-A: a\rX-Twilio-Signature: forged\r\nContent-Length: 0\r\n\r\n',
    ],
    [
      'a header split by a bare LF (injection)',
      'POST /sms HTTP/1.1\r\nHost: x\r\nX-A: a\nX-Injected: yes\r\nContent-Length: 0\r\n\r\n',
    ],
    ['a header name with a space', 'POST /sms HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n'],
    ['a header line without a colon', 'POST /sms HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n'],
    ['a NUL in a header value', 'POST /sms HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'],
    ['an obsolete folded header', 'POST /sms HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n'],
  ];

  it.each(garbage)('%s: 400 or a closed connection, and the proxy goes on', async (_name, bytes) => {
    const { proxy, events, app } = await startAbusedProxy();
    const reply = await raw(proxy, bytes, 2_000);
    expect(reply === '' || /^HTTP\/1\.1 4\d\d /.test(reply)).toBe(true);
    // Nothing malformed reached the app under a forged identity.
    expect(app.seen.some((s) => s.includes('/admin'))).toBe(false);
    expect(events.every((e) => !e.request.headers.some(([n]) => /x-injected/i.test(n)))).toBe(true);
    await stillServes(proxy);
  });

  it('odd but parseable requests are forwarded or refused, never a proxy failure', async () => {
    const odd = [
      // No version: Node reads it as HTTP/0.9.
      'GET /sms\r\nHost: x\r\n\r\n',
      'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET http://evil.example/x HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
      'GET //double/slash HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /sms HTTP/1.0\r\nConnection: close\r\n\r\n',
      'GET /sms HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n',
      'GET /sms HTTP/1.1\r\nHost: [\r\nConnection: close\r\n\r\n',
      'GET /sms HTTP/1.1\r\nHost: x\r\nX-Latin: caf\xe9\r\nConnection: close\r\n\r\n',
      'GET /sms HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      'POST /sms HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc',
      `GET /${'p'.repeat(8000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ];
    for (const withPublicUrl of [true, false]) {
      const { proxy, events } = await startAbusedProxy({}, withPublicUrl ? PUBLIC : null);
      for (const request of odd) {
        const reply = await raw(proxy, Buffer.from(request, 'latin1'), 1_000);
        expect(reply, request.slice(0, 60)).not.toContain('proxy failure');
        expect(reply === '' || /^HTTP\/1\.[01] \d{3} /.test(reply), request.slice(0, 60)).toBe(true);
      }
      expect(events.every((e) => typeof e.outcome === 'string')).toBe(true);
      await stillServes(proxy);
    }
  });

  it('pipelined requests on one connection are each answered, in order', async () => {
    const { proxy } = await startAbusedProxy();
    const one = (i: number) => `POST /sms/p${i} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nn=${i}`;
    const reply = await raw(
      proxy,
      Array.from({ length: 10 }, (_, i) => one(i)).join('') +
        'GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      5_000,
    );
    const order = [...reply.matchAll(/<Message>(\/\S+) /g)].map((m) => m[1]);
    expect(order).toEqual([...Array.from({ length: 10 }, (_, i) => `/sms/p${i}`), '/last']);
  });
});

describe('callers that disconnect', () => {
  it('mid-request (half a body sent): nothing half-sent is forwarded as whole, and the proxy goes on', async () => {
    const { proxy, events, app } = await startAbusedProxy();
    for (let i = 0; i < 5; i++) {
      const socket = await rawSocket(proxy);
      socket.on('error', () => undefined);
      socket.write(
        `POST /sms/cut-${i} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nBody=only-part`,
      );
      await sleep(50);
      socket.destroy();
    }
    await stillServes(proxy);
    await until(() => proxy.inFlight() === 0, 'no request in flight');
    // The app never got a body that was cut short presented as complete.
    expect(app.seen.filter((s) => s.includes('/sms/cut-') && !s.endsWith(' 100'))).toEqual([]);
    expect(events.filter((e) => e.request.path.startsWith('/sms/cut-')).every((e) => e.outcome !== 'answered')).toBe(
      true,
    );
  });

  it('mid-answer (a large answer, the caller leaves after the first bytes): caller-gone, and the proxy goes on', async () => {
    const { proxy, events } = await startAbusedProxy();
    for (let i = 0; i < 3; i++) {
      const socket = await rawSocket(proxy);
      socket.on('error', () => undefined);
      const first = new Promise<void>((resolve) => socket.once('data', () => resolve()));
      socket.write(`GET /big-answer/${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await first;
      socket.destroy();
    }
    await until(
      () => events.filter((e) => e.request.path.startsWith('/big-answer')).length === 3,
      'three big-answer events',
    );
    expect(events.filter((e) => e.request.path.startsWith('/big-answer')).map((e) => e.outcome)).toEqual([
      'caller-gone',
      'caller-gone',
      'caller-gone',
    ]);
    await until(() => proxy.inFlight() === 0, 'no request in flight');
    await stillServes(proxy);
  });

  it('while the app is still thinking: caller-gone, the app call is cut, the proxy goes on', async () => {
    const { proxy, events } = await startAbusedProxy();
    const socket = await rawSocket(proxy);
    socket.on('error', () => undefined);
    socket.write('GET /slow-answer HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(200);
    socket.destroy();
    await until(() => events.some((e) => e.request.path === '/slow-answer'), 'the slow-answer event');
    expect(events.find((e) => e.request.path === '/slow-answer')!.outcome).toBe('caller-gone');
    await stillServes(proxy);
  });

  it('close() ends within its grace even with slow senders, a half-sent body and an app still thinking', async () => {
    const { proxy, events } = await startAbusedProxy();
    const sockets = await Promise.all([0, 1, 2, 3].map(() => rawSocket(proxy)));
    for (const s of sockets) s.on('error', () => undefined);
    sockets[0]!.write('POST /sms HT');
    sockets[1]!.write('POST /sms HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nBody=');
    sockets[2]!.write('GET /slow-answer HTTP/1.1\r\nHost: x\r\n\r\n');
    sockets[3]!.write('GET /big-answer/x HTTP/1.1\r\nHost: x\r\n\r\n'); // never read: backpressure
    await until(() => proxy.inFlight() >= 3, 'three requests in flight');
    const closed = await Promise.race([proxy.close(300).then(() => 'closed'), sleep(8_000).then(() => 'still open')]);
    expect(closed).toBe('closed');
    expect(proxy.inFlight()).toBe(0);
    // Each request cut by close() was reported before close() resolved.
    expect(events.map((e) => e.outcome)).toEqual(['caller-gone', 'caller-gone', 'caller-gone']);
  });

  it('a storm of connections opened and dropped at random points leaves the proxy serving', async () => {
    const { proxy } = await startAbusedProxy();
    const full = `POST /sms/storm HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\nBody=storm-storm-sto`;
    // Deterministic cut points: every prefix length class, 60 connections.
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const socket = await rawSocket(proxy);
        socket.on('error', () => undefined);
        socket.write(full.slice(0, Math.floor((i / 60) * full.length)));
        await sleep(i % 7);
        socket.destroy();
      }),
    );
    await until(() => proxy.inFlight() === 0, 'no request in flight');
    await stillServes(proxy);
  });
});
